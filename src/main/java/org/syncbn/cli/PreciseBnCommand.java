package org.syncbn.cli;

import org.apache.spark.api.java.JavaRDD;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.data.Shard;
import org.syncbn.data.ShardSource;
import org.syncbn.eval.EvalResult;
import org.syncbn.eval.Evaluator;
import org.syncbn.store.FileStore;
import org.syncbn.network.Network;
import org.syncbn.train.PreciseBn;
import org.syncbn.worker.WorkerNetworks;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code syncbn precise-bn}: PreciseBN statistics for a saved model, and the accuracy they give. */
final class PreciseBnCommand {
    static final String HELP = """
            usage: syncbn precise-bn <model.zip> --examples N [--data DIR] [--out FILE] [--set key=value ...]

              <model.zip>         a model saved by 'syncbn train' (or any DL4J MultiLayerNetwork zip with BN)
              --examples N        training examples to compute the statistics over
              --data DIR          directory (or URI) of the data files (default: data.dir of conf/defaults.conf);
                                  tables: --set data.format=csv --set data.trainFile=... --set data.testFile=...
              --out FILE          where the model with precise statistics goes (default: model-precise.zip
                                  beside the input); a local path or a Hadoop FileSystem URI
              --set key=value     data and run keys, e.g. --set train.workers=4 (workers, default 2),
                                  --set data.maxTestExamples=1000

            Recomputes every BN layer's mean and variance as the population statistics of its inputs over
            N training examples with the model's weights (Wu & Johnson 2021), layer by layer, distributed
            over train.workers Spark tasks and merged exactly; then reports test accuracy and loss with the
            model's own (EMA) statistics and with the precise ones. Exit codes: 0 done, 2 bad input, 1 failure.
            """;

    private PreciseBnCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args = Args.parse("precise-bn", argv, 0, Set.of("--examples", "--data", "--out"), Set.of("--help", "-h"));
        if (args.flags().contains("--help") || args.flags().contains("-h")) {
            out.print(HELP);
            return 0;
        }
        if (args.positionals().size() != 1) {
            throw new SpecException("precise-bn: expected one model file, got " + args.positionals().size()
                    + " (usage: syncbn precise-bn <model.zip> --examples N)");
        }
        long examples = examples(args.option("--examples"));
        Path modelFile = Path.of(args.positionals().get(0));
        Network stored = org.syncbn.store.ModelExport.open(modelFile);
        if (stored.batchNorms().isEmpty()) {
            throw new SpecException("model file " + modelFile + " has no BatchNormalization layer: nothing to recompute");
        }
        List<String> sets = new ArrayList<>(args.sets());
        if (args.option("--data") != null) {
            sets.add("data.dir=\"" + args.option("--data").replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        }
        sets.add("data.numClasses=" + stored.outputSize());
        JobSpec spec = JobSpecLoader.load(null, sets);
        String target = args.option("--out") != null ? args.option("--out")
                : modelFile.toAbsolutePath().resolveSibling("model-precise.zip").toString();
        int workers = spec.train().workers();
        String runId = "precise-bn-" + System.nanoTime();
        try (SparkSessions spark = SparkSessions.open("precise-bn", spec.spark().master(), workers)) {
            ShardSource source = ShardSource.of(spec.data());
            JavaRDD<Shard> train = source.training(spark.context(), workers, spec.data().maxTrainExamples(),
                    spec.seed(), spec.data().shuffle());
            JavaRDD<Shard> test = source.test(spark.context(), workers, spec.data().maxTestExamples());
            try {
                int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / workers);
                org.syncbn.data.ShardInfo info = org.syncbn.data.ShardInfo.of(train);
                Network net = org.syncbn.model.JobNetworks.forScoring(stored,
                        org.syncbn.model.ModelInput.of(info.imageShape(), info.featureSize(), info.labelSize()),
                        "model file " + modelFile);
                org.syncbn.network.Blueprint blueprint = net.blueprint();
                EvalResult ema = Evaluator.evaluate(spark.context(), test, runId, blueprint, net.params(), threads);
                long t0 = System.nanoTime();
                double[] precise = PreciseBn.recompute(spark.context(), train, net, runId, threads, examples);
                double seconds = (System.nanoTime() - t0) / 1e9;
                EvalResult after = Evaluator.evaluate(spark.context(), test, runId, blueprint, precise, threads);
                FileStore dir = FileStore.at(parentOf(target), spark.context()::hadoopConfiguration);
                dir.write(nameOf(target), tmp -> net.write(tmp.toFile(), true));
                out.printf(Locale.ROOT, "statistics        test accuracy  test loss%n");
                out.printf(Locale.ROOT, "running (EMA)     %.4f         %.4f%n", ema.accuracy(), ema.meanLoss());
                out.printf(Locale.ROOT, "precise (N=%d)%s %.4f         %.4f%n", examples,
                        " ".repeat(Math.max(0, 5 - String.valueOf(examples).length())), after.accuracy(), after.meanLoss());
                out.printf(Locale.ROOT, "%d test examples; PreciseBN over %d BN layers took %.1f s; model: %s%n",
                        after.count(), net.batchNorms().size(), seconds, dir.describe(nameOf(target)));
            } finally {
                train.unpersist(false);
                test.unpersist(false);
                WorkerNetworks.release(runId);
            }
        }
        return 0;
    }

    private static long examples(String text) {
        if (text == null) {
            throw new SpecException("precise-bn: --examples N is required (training examples to use, e.g. 10000)");
        }
        try {
            long n = Long.parseLong(text.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // the message below
        }
        throw new SpecException("precise-bn: --examples " + text + ": expected an integer >= 1");
    }

    private static String parentOf(String target) {
        int slash = target.lastIndexOf('/');
        return slash < 0 ? "." : slash == 0 ? "/" : target.substring(0, slash);
    }

    private static String nameOf(String target) {
        return target.substring(target.lastIndexOf('/') + 1);
    }
}
