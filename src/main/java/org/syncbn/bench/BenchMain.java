package org.syncbn.bench;

import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.worker.NativeThreads;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Entry point of the baselines scripts/bench.sh runs, one per JVM:
 * {@code single|dl4j-spark|ceiling <job.conf> [--set k=v ...]}. Prints one line per epoch:
 * {@code BENCH <system> epoch=<e> samples_per_sec=<x> test_accuracy=<a>}. {@code ceiling} runs
 * the single-JVM baseline in train.workers threads of one JVM at once, each with one native
 * thread, and reports their summed samples/s: what W workers can reach on this machine with no
 * Spark and no communication at all.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: BenchMain single|dl4j-spark <job.conf> [--set key=value ...]");
            System.exit(2);
        }
        List<String> sets = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--set") && i + 1 < args.length) {
                sets.add(args[++i]);
            }
        }
        JobSpec spec = JobSpecLoader.load(Path.of(args[1]), sets);
        List<double[]> epochs;
        switch (args[0]) {
            case "single" -> {
                NativeThreads.apply(1);
                epochs = SingleJvmBaseline.run(spec, spec.train().batchPerWorker());
            }
            case "ceiling" -> {
                NativeThreads.apply(1);
                epochs = parallelSingles(spec);
            }
            case "dl4j-spark" -> epochs = Dl4jSparkBaseline.run(spec, Path.of(System.getProperty("java.io.tmpdir"),
                    "syncbn-bench-" + ProcessHandle.current().pid()));
            default -> throw new IllegalArgumentException("unknown baseline " + args[0]);
        }
        for (int e = 0; e < epochs.size(); e++) {
            System.out.printf(Locale.ROOT, "BENCH %s epoch=%d samples_per_sec=%.1f test_accuracy=%.4f%n",
                    args[0], e + 1, epochs.get(e)[0], epochs.get(e)[1]);
        }
        System.exit(0);
    }

    private static List<double[]> parallelSingles(JobSpec spec) {
        int w = spec.train().workers();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(w);
        try {
            List<java.util.concurrent.Future<List<double[]>>> runs = new ArrayList<>();
            for (int i = 0; i < w; i++) {
                runs.add(pool.submit(() -> SingleJvmBaseline.run(spec, spec.train().batchPerWorker())));
            }
            List<double[]> sum = new ArrayList<>();
            for (java.util.concurrent.Future<List<double[]>> run : runs) {
                List<double[]> epochs = run.get();
                for (int e = 0; e < epochs.size(); e++) {
                    if (sum.size() <= e) {
                        sum.add(new double[] {0, epochs.get(e)[1]});
                    }
                    sum.get(e)[0] += epochs.get(e)[0];
                }
            }
            return sum;
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
        }
    }
}
