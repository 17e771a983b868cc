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
import org.syncbn.data.ClassNames;
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

              <model>             model.zip from 'syncbn train' (or any DL4J model zip), a training output
                                  directory, a saved Spark ML SyncBnClassificationModel, or (with <input>) a
                                  saved Spark ML PipelineModel whose last stage is one
              <input>             a labelled table: CSV (header line), LibSVM or Parquet, scored on Spark;
                                  without it, the IDX test files of --data are evaluated on this JVM
              --data DIR          directory (or URI) of the IDX test files (default: data.dir of conf/defaults.conf)
              --set key=value     data keys, e.g. --set data.testImages=x.gz --set data.maxTestExamples=1000;
                                  --set data.classNames=[...] names the classes
              --out FILE|DIR      where the confusion matrix image goes: a .png file, or a directory (an
                                  existing one, or a path ending in '/') to hold confusion-matrix.png.
                                  Default: beside the model: inside a training output directory, next to
                                  a model file (confusion-matrix.png for model.zip, <name>-confusion-matrix.png
                                  for another <name>.zip), next to a saved Spark ML directory
              --png FILE          the same as --out FILE
              --version           print the versions and exit
            """ + TableInput.OPTIONS_HELP + """

            Prints accuracy, mean cross-entropy loss, per-class precision/recall/F1 and the confusion
            matrix (rows: actual class), and draws the matrix as a PNG, saying where. Classes are named by
            data.classNames: given with --set, else from the training run's provenance.json beside the
            model, else its default (Fashion-MNIST's names for the IDX test files of 10 classes).
            """;

    private EvaluateCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args = Args.parse("evaluate", argv, 0,
                Set.of("--data", "--png", "--out", "--format", "--features", "--id-cols", "--label"),
                Set.of("--help", "-h"));
        if (args.flags().contains("--help") || args.flags().contains("-h")) {
            out.print(HELP);
            return 0;
        }
        if (args.positionals().isEmpty() || args.positionals().size() > 2) {
            throw new SpecException("evaluate: expected a model and optionally an input table, got "
                    + args.positionals() + " (usage: syncbn evaluate <model> [<input>] [--data DIR])");
        }
        if (args.option("--png") != null && args.option("--out") != null) {
            throw new SpecException("evaluate: --png and --out both say where the image goes: give one");
        }
        String image = args.option("--out") != null ? args.option("--out") : args.option("--png");
        String model = args.positionals().get(0);
        if (args.positionals().size() == 2) {
            if (args.option("--data") != null) {
                throw new SpecException("evaluate: --data names IDX test files; give it or an input table, not both");
            }
            return onTable(model, TableInput.from("evaluate", args.positionals().get(1), args), args, image, out);
        }
        Supplier<org.apache.hadoop.conf.Configuration> conf = org.apache.spark.deploy.SparkHadoopUtil.get()::conf;
        List<String> sets = new ArrayList<>(args.sets());
        if (args.option("--data") != null) {
            sets.add("data.dir=" + quote(args.option("--data")));
        }
        Network net = org.syncbn.store.ModelExport.open(java.nio.file.Path.of(model));
        sets.add("data.numClasses=" + net.outputSize());
        JobSpec spec = JobSpecLoader.load(null, sets);
        EvalResult r = onIdx(model, net, spec);
        ClassNames names = ModelClassNames.of(model, r.confusion().length, spec, true, conf);
        out.print(EvalReport.text(r, names));
        writePng(r, names, model, image, conf, out);
        return 0;
    }

    private static int onTable(String modelPath, TableInput input, Args args, String image, PrintStream out) {
        JobSpec spec = JobSpecLoader.load(null, args.sets());
        try (SparkSessions sessions = SparkSessions.open(spec)) {
            SparkSession spark = sessions.session();
            SavedModels.Loaded loaded = SavedModels.open(spark, modelPath);
            SyncBnClassificationModel model = loaded.stage();
            Dataset<Row> table = input.read(spark, model.numFeatures());
            Dataset<Row> scored;
            if (loaded.isPipeline()) {
                if (!input.features().isEmpty()) {
                    throw new SpecException("evaluate: --features names a model.zip's input columns; the PipelineModel "
                            + modelPath + " makes its features from the table's columns itself (leave --features out)");
                }
                if (!java.util.Arrays.asList(table.columns()).contains(input.label())) {
                    throw new SpecException(input.path() + ": no label column '" + input.label() + "' (columns: "
                            + org.syncbn.data.FeatureColumns.brief(java.util.Arrays.asList(table.columns())) + ")");
                }
                scored = PipelineScoring.transform(loaded.pipeline(), table, input.path(), modelPath);
            } else {
                scored = model.setFeaturesCol(TableInput.VECTOR_COL).transform(input.vectors(table, true, model.numFeatures()));
            }
            EvalResult r = TableEvaluation.of(scored, input.label(), model.getProbabilityCol(), model.numClasses());
            ClassNames names = ModelClassNames.of(modelPath, model.numClasses(), spec, false,
                    spark.sparkContext()::hadoopConfiguration);
            out.print(EvalReport.text(r, names));
            writePng(r, names, modelPath, image, spark.sparkContext()::hadoopConfiguration, out);
        }
        return 0;
    }

    private static EvalResult onIdx(String model, Network net, JobSpec spec) {
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

    /** Draws the matrix where {@link #imageTarget} says, atomically, and says where. */
    private static void writePng(EvalResult r, ClassNames names, String model, String image,
                                 Supplier<org.apache.hadoop.conf.Configuration> conf, PrintStream out) {
        Path target = imageTarget(model, image, conf);
        FileStore store = FileStore.at(parentOf(target), conf);
        store.write(target.getName(), tmp -> ConfusionMatrixImage.writePng(r.confusion(), names,
                "confusion matrix: " + new Path(model).getName() + " (rows: actual)", tmp));
        out.println("confusion matrix image: " + store.describe(target.getName()));
    }

    /**
     * The image's path: {@code --out}'s file, or confusion-matrix.png in its directory (an existing one
     * or a path ending in '/'); without it, beside the model: inside a directory that holds model.zip
     * (a run directory), next to a model file (named after it unless it is model.zip), next to any other
     * directory (a saved Spark ML model, which is no place for extra files).
     */
    static Path imageTarget(String model, String image, Supplier<org.apache.hadoop.conf.Configuration> conf) {
        if (image != null) {
            Path p = new Path(image);
            return image.endsWith("/") || isDirectory(p, conf) ? new Path(p, PNG_FILE) : p;
        }
        Path m = new Path(model);
        if (isDirectory(m, conf)) {
            if (FileStore.at(model, conf).exists(org.syncbn.store.ModelExport.MODEL_FILE)) {
                return new Path(m, PNG_FILE);
            }
            return new Path(parentOf(m), m.getName() + "-" + PNG_FILE);
        }
        String name = m.getName();
        if (name.equals(org.syncbn.store.ModelExport.MODEL_FILE)) {
            return new Path(parentOf(m), PNG_FILE);
        }
        String stem = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
        return new Path(parentOf(m), stem + "-" + PNG_FILE);
    }

    private static boolean isDirectory(Path p, Supplier<org.apache.hadoop.conf.Configuration> conf) {
        try {
            org.apache.hadoop.fs.FileSystem fs = p.getFileSystem(conf.get());
            return fs.exists(p) && fs.getFileStatus(p).isDirectory();
        } catch (java.io.IOException e) {
            throw new SpecException("cannot look at " + p + ": " + e.getMessage(), e);
        }
    }

    private static String parentOf(Path p) {
        Path parent = p.getParent();
        return parent == null || parent.toString().isEmpty() ? "." : parent.toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
