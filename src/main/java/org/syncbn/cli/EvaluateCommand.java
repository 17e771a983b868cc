package org.syncbn.cli;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.data.Examples;
import org.syncbn.data.IdxDataSource;
import org.syncbn.eval.EvalResult;
import org.syncbn.eval.Evaluator;
import org.syncbn.train.NativeThreads;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code syncbn evaluate}: a saved model's test-set metrics, in inference mode, on this JVM. */
final class EvaluateCommand {
    static final String HELP = """
            usage: syncbn evaluate <model.zip> [--data DIR] [--set key=value ...]

              <model.zip>         a model saved by 'syncbn train' (or any DL4J MultiLayerNetwork zip)
              --data DIR          directory (or URI) of the IDX test files (default: data.dir of conf/defaults.conf)
              --set key=value     data keys, e.g. --set data.testImages=x.gz --set data.maxTestExamples=1000

            Prints accuracy, mean cross-entropy loss and the confusion matrix (rows: actual class).
            """;

    private EvaluateCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args = Args.parse("evaluate", argv, 0, Set.of("--data"), Set.of("--help", "-h"));
        if (args.flags().contains("--help") || args.flags().contains("-h")) {
            out.print(HELP);
            return 0;
        }
        if (args.positionals().size() != 1) {
            throw new SpecException("evaluate: expected one model file, got " + args.positionals().size()
                    + " (usage: syncbn evaluate <model.zip> [--data DIR])");
        }
        Path modelFile = Path.of(args.positionals().get(0));
        if (!Files.isRegularFile(modelFile)) {
            throw new SpecException("model file not found: " + modelFile);
        }
        MultiLayerNetwork net;
        try {
            net = ModelSerializer.restoreMultiLayerNetwork(modelFile.toFile(), false);
        } catch (IOException | RuntimeException e) {
            throw new SpecException("model file " + modelFile + " is not a DL4J MultiLayerNetwork zip: " + e.getMessage(), e);
        }
        List<String> sets = new ArrayList<>(args.sets());
        if (args.option("--data") != null) {
            sets.add("data.dir=" + quote(args.option("--data")));
        }
        sets.add("data.numClasses=" + net.layerSize(net.getnLayers() - 1));
        JobSpec spec = JobSpecLoader.load(null, sets);
        NativeThreads.apply(Runtime.getRuntime().availableProcessors());
        Examples test = new IdxDataSource(spec.data()).test();
        int max = spec.data().maxTestExamples();
        if (max > 0 && max < test.count()) {
            int[] first = new int[max];
            for (int i = 0; i < max; i++) {
                first[i] = i;
            }
            test = test.subset(first);
        }
        if (test.featureSize() != net.layerInputSize(0)) {
            throw new SpecException("data " + spec.data().dir() + ": examples have " + test.featureSize()
                    + " features, the model expects " + net.layerInputSize(0));
        }
        EvalResult r = Evaluator.evaluate(net, test);
        out.printf(Locale.ROOT, "examples %d%naccuracy %.4f%nloss %.4f%n", r.count(), r.accuracy(), r.meanLoss());
        out.println("confusion matrix (rows: actual, columns: predicted):");
        for (long[] row : r.confusion()) {
            StringBuilder sb = new StringBuilder();
            for (long v : row) {
                sb.append(String.format(Locale.ROOT, "%6d", v));
            }
            out.println(sb);
        }
        return 0;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
