package org.syncbn.cli;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.data.ClassNames;
import org.syncbn.ml.SavedModels;
import org.syncbn.ml.SyncBnClassificationModel;
import org.syncbn.store.TableOutput;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.apache.spark.sql.functions.col;

/** {@code syncbn predict}: batch scoring of a table with a saved model, distributed over Spark. */
final class PredictCommand {
    static final String HELP = """
            usage: syncbn predict <model> <input> <output> [options] [--set key=value ...]

              <model>             model.zip from 'syncbn train', its output directory, a saved Spark ML
                                  SyncBnClassificationModel directory, or a saved Spark ML PipelineModel whose
                                  last stage is one (it then turns the input's columns into features itself)
              <input>             table to score: CSV (header line), LibSVM or Parquet
              <output>            a new path (local or Hadoop URI), written whole or not at all:
                                    out/pred.csv         one CSV file with a header line
                                    out/pred.parquet     a Parquet directory (any name not ending in .csv)
                                    out/pred.csv/        a directory of CSV part files (a path ending in '/')
            """ + TableInput.OPTIONS_HELP + """
              --output-format F   csv | parquet, instead of the output's name: csv is one file, or a
                                  directory when the path ends in '/'; parquet is always a directory
              --batch N           rows per network call (default 256)
              --set key=value     job keys for the embedded Spark session, e.g. --set train.workers=4;
                                  --set data.classNames=[...] names the classes in label_name
              --version           print the versions and exit

            Output columns: the id columns, prediction (the predicted class index), label_name (the class's
            name: data.classNames of the training run's provenance.json beside the model, or the index) and
            prob_0 .. prob_{k-1}.
            Exit codes: 0 done, 2 bad input, 1 failure.
            """;

    private PredictCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args = Args.parse("predict", argv, 0,
                Set.of("--format", "--features", "--id-cols", "--label", "--output-format", "--batch"),
                Set.of("--help", "-h"));
        if (args.flags().contains("--help") || args.flags().contains("-h")) {
            out.print(HELP);
            return 0;
        }
        if (args.positionals().size() != 3) {
            throw new SpecException("predict: expected <model> <input> <output>, got " + args.positionals()
                    + " (see syncbn predict --help)");
        }
        String modelPath = args.positionals().get(0);
        String output = args.positionals().get(2);
        String outputFormat = args.option("--output-format") != null ? args.option("--output-format")
                : TableOutput.formatOf(output);
        if (!outputFormat.equals("csv") && !outputFormat.equals("parquet")) {
            throw new SpecException("predict: --output-format " + outputFormat + ": expected csv or parquet");
        }
        TableInput input = TableInput.from("predict", args.positionals().get(1), args);
        int batch = batch(args.option("--batch"));
        JobSpec spec = JobSpecLoader.load(null, args.sets());
        try (SparkSessions sessions = SparkSessions.open(spec)) {
            SparkSession spark = sessions.session();
            SavedModels.Loaded loaded = SavedModels.open(spark, modelPath);
            SyncBnClassificationModel model = loaded.stage().setBatchSize(batch);
            Dataset<Row> table = input.read(spark, model.numFeatures());
            List<String> ids = input.idColumns(table);
            Dataset<Row> scored;
            if (loaded.isPipeline()) {
                if (!input.features().isEmpty()) {
                    throw new SpecException("predict: --features names a model.zip's input columns; the PipelineModel "
                            + modelPath + " makes its features from the table's columns itself (leave --features out)");
                }
                input.requireIds(table, ids);
                scored = PipelineScoring.transform(loaded.pipeline(), table, input.path(), modelPath);
            } else {
                scored = model.setFeaturesCol(TableInput.VECTOR_COL).transform(input.vectors(table, false, model.numFeatures()));
            }
            ClassNames names = ModelClassNames.of(modelPath, model.numClasses(), spec, false,
                    spark.sparkContext()::hadoopConfiguration);
            List<Column> cols = new ArrayList<>();
            ids.forEach(id -> cols.add(col(id)));
            Column prediction = col(model.getPredictionCol()).cast("int");
            cols.add(prediction.as("prediction"));
            cols.add(functions.element_at(functions.array(names.names().stream().map(functions::lit).toArray(Column[]::new)),
                    prediction.plus(1)).as("label_name"));
            Column probs = org.apache.spark.ml.functions.vector_to_array(col(model.getProbabilityCol()), "float64");
            for (int c = 0; c < model.numClasses(); c++) {
                cols.add(probs.getItem(c).as("prob_" + c));
            }
            Dataset<Row> result = scored.select(cols.toArray(new Column[0]));
            if (loaded.isPipeline()) {
                PipelineScoring.write(result, outputFormat, output, spark, input.path(), modelPath);
            } else {
                TableOutput.write(result, outputFormat, output, spark.sparkContext().hadoopConfiguration());
            }
            out.println("predictions: " + output + " (" + (TableOutput.isDirectory(output, outputFormat)
                    ? "a " + (outputFormat.equals("csv") ? "CSV" : "Parquet") + " directory" : "one CSV file") + ")");
        }
        return 0;
    }

    static int batch(String text) {
        if (text == null) {
            return 256;
        }
        try {
            int n = Integer.parseInt(text.strip());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new SpecException("--batch " + text + ": expected an integer >= 1");
    }
}
