package org.syncbn.cli;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
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

              <model>             model.zip from 'syncbn train', its output directory, or a saved Spark ML
                                  SyncBnClassificationModel directory
              <input>             table to score: CSV (header line), LibSVM or Parquet
              <output>            new directory (local path or Hadoop URI): Parquet, or CSV with a header
                                  when the name ends in .csv; written whole or not at all
            """ + TableInput.OPTIONS_HELP + """
              --output-format F   csv | parquet (default: from the output's name)
              --batch N           rows per network call (default 256)
              --set key=value     job keys for the embedded Spark session, e.g. --set train.workers=4

            Output columns: the id columns, prediction (the predicted class index) and prob_0 .. prob_{k-1}.
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
        String output = args.positionals().get(2);
        String outputFormat = args.option("--output-format") != null ? args.option("--output-format")
                : TableOutput.formatOf(output);
        TableInput input = TableInput.from("predict", args.positionals().get(1), args);
        int batch = batch(args.option("--batch"));
        JobSpec spec = JobSpecLoader.load(null, args.sets());
        try (SparkSessions sessions = SparkSessions.open(spec)) {
            SparkSession spark = SparkSession.builder().getOrCreate();
            SyncBnClassificationModel model = SavedModels.load(spark, args.positionals().get(0))
                    .setFeaturesCol(TableInput.VECTOR_COL).setBatchSize(batch);
            Dataset<Row> table = input.read(spark, model.numFeatures());
            List<String> ids = input.idColumns(table);
            Dataset<Row> scored = model.transform(input.vectors(table, false, model.numFeatures()));
            List<Column> cols = new ArrayList<>();
            ids.forEach(id -> cols.add(col(id)));
            cols.add(col(model.getPredictionCol()).cast("int").as("prediction"));
            Column probs = org.apache.spark.ml.functions.vector_to_array(col(model.getProbabilityCol()), "float64");
            int classes = model.numClasses();
            for (int c = 0; c < classes; c++) {
                cols.add(probs.getItem(c).as("prob_" + c));
            }
            TableOutput.write(scored.select(cols.toArray(new Column[0])), outputFormat, output,
                    spark.sparkContext().hadoopConfiguration());
            out.println("predictions: " + output + " (" + outputFormat + ")");
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
