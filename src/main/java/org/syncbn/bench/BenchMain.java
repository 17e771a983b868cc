package org.syncbn.bench;

import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.train.NativeThreads;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Entry point of the baselines scripts/bench.sh runs, one per JVM:
 * {@code single|dl4j-spark <job.conf> [--set k=v ...]}. Prints one line per epoch:
 * {@code BENCH <system> epoch=<e> samples_per_sec=<x> test_accuracy=<a>}.
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
}
