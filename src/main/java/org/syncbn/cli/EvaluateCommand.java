package org.syncbn.cli;

import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.data.Examples;
import org.syncbn.data.IdxDataSource;
import org.syncbn.eval.ConfusionMatrixImage;
import org.syncbn.eval.EvalReport;
import org.syncbn.eval.EvalResult;
import org.syncbn.eval.Evaluator;
import org.syncbn.eval.TableEvaluation;
import org.syncbn.ml.SavedModels;
import org.syncbn.ml.SyncBnClassificationModel;
import org.syncbn.store.FileStore;
import org.syncbn.network.Network;
import org.syncbn.worker.NativeThreads;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code syncbn evaluate}: a saved model's metrics in inference mode: on the IDX test files (one
 * JVM) or on a labelled table of any supported format (distributed over Spark).
 */
final class EvaluateCommand {
    static final String PNG_FILE = "confusion-matrix.png";
    static final String HELP = """
            usage: syncbn evaluate <model> [<input>] [options] [--set key=value ...]

              <model>             model.zip from 'syncbn train' (or any DL4J MultiLayerNetwork zip), a
                                  training output directory, or a saved Spark ML SyncBnClassificationModel
              <input>             a labelled table: CSV (header line), LibSVM or Parquet, scored on Spark;
                                  without it, the IDX test files of --data are evaluated on this JVM
              --data DIR          directory (or URI) of the IDX test files (default: data.dir of conf/defaults.conf)
              --set key=value     data keys, e.g. --set data.testImages=x.gz --set data.maxTestExamples=1000
              --png FILE          where the confusion matrix image goes (default: confusion-matrix.png
                                  next to the model)
            """ + TableInput.OPTIONS_HELP + """

            Prints accuracy, mean cross-entropy loss, per-class precision/recall/F1 and the confusion
            matrix (rows: actual class), and draws the matrix as a PNG.
            """;

    private EvaluateCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args = Args.parse("evaluate", argv, 0,
                Set.of("--data", "--png", "--format", "--features", "--id-cols", "--label"), Set.of("--help", "-h"));
        if (args.flags().contains("--help") || args.flags().contains("-h")) {
            out.print(HELP);
            return 0;
        }
        if (args.positionals().isEmpty() || args.positionals().size() > 2) {
            throw new SpecException("evaluate: expected a model and optionally an input table, got "
                    + args.positionals() + " (usage: syncbn evaluate <model> [<input>] [--data DIR])");
        }
        String model = args.positionals().get(0);
        if (args.positionals().size() == 2) {
            if (args.option("--data") != null) {
                throw new SpecException("evaluate: --data names IDX test files; give it or an input table, not both");
            }
            return onTable(model, TableInput.from("evaluate", args.positionals().get(1), args), args, out);
        }
        EvalResult r = onIdx(model, args);
        out.print(EvalReport.text(r));
        writePng(r, model, args.option("--png"), org.apache.spark.deploy.SparkHadoopUtil.get()::conf, out);
        return 0;
    }

    private static int onTable(String modelPath, TableInput input, Args args, PrintStream out) {
        JobSpec spec = JobSpecLoader.load(null, args.sets());
        try (SparkSessions sessions = SparkSessions.open(spec)) {
            SparkSession spark = SparkSession.builder().getOrCreate();
            SyncBnClassificationModel model = SavedModels.load(spark, modelPath)
                    .setFeaturesCol(TableInput.VECTOR_COL);
            Dataset<Row> table = input.read(spark, model.numFeatures());
            Dataset<Row> scored = model.transform(input.vectors(table, true, model.numFeatures()));
            EvalResult r = TableEvaluation.of(scored, input.label(), model.getProbabilityCol(), model.numClasses());
            out.print(EvalReport.text(r));
            writePng(r, modelPath, args.option("--png"), spark.sparkContext()::hadoopConfiguration, out);
        }
        return 0;
    }

    private static EvalResult onIdx(String model, Args args) {
        Network net = org.syncbn.store.ModelExport.open(java.nio.file.Path.of(model));
        List<String> sets = new ArrayList<>(args.sets());
        if (args.option("--data") != null) {
            sets.add("data.dir=" + quote(args.option("--data")));
        }
        sets.add("data.numClasses=" + net.outputSize());
        JobSpec spec = JobSpecLoader.load(null, sets);
        NativeThreads.apply(Runtime.getRuntime().availableProcessors());
        Examples test = org.syncbn.data.DataSource.of(spec.data()).test();
        int max = spec.data().maxTestExamples();
        if (max > 0 && max < test.count()) {
            int[] first = new int[max];
            for (int i = 0; i < max; i++) {
                first[i] = i;
            }
            test = test.subset(first);
        }
        net = org.syncbn.model.JobNetworks.forScoring(net,
                org.syncbn.model.ModelInput.of(test.imageShape(), test.featureSize(), test.labelSize()), "model " + model);
        int width = net.inputSize();
        if (test.featureSize() != width) {
            throw new SpecException("data " + spec.data().dir() + ": examples have " + test.featureSize()
                    + " features, the model expects " + width);
        }
        return Evaluator.evaluate(net, test);
    }

    /** Draws the matrix into {@code png}, or confusion-matrix.png next to the model; atomically. */
    private static void writePng(EvalResult r, String model, String png,
                                 Supplier<org.apache.hadoop.conf.Configuration> conf, PrintStream out) {
        Path target = png != null ? new Path(png) : new Path(parentOf(new Path(model)), PNG_FILE);
        String dir = parentOf(target);
        FileStore store = FileStore.at(dir, conf);
        store.write(target.getName(), tmp -> ConfusionMatrixImage.writePng(r.confusion(),
                "confusion matrix: " + new Path(model).getName() + " (rows: actual)", tmp));
        out.println("confusion matrix image: " + store.describe(target.getName()));
    }

    private static String parentOf(Path p) {
        Path parent = p.getParent();
        return parent == null || parent.toString().isEmpty() ? "." : parent.toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
