package org.syncbn.cli;

import org.syncbn.testing.Cli;

import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.ml.SyncBnClassificationModel;
import org.syncbn.ml.SyncBnClassifier;
import org.syncbn.testing.TestSpark;
import org.syncbn.testing.TinyTables;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 'syncbn predict' and 'syncbn evaluate' on tables, with a model trained by 'syncbn train' on a CSV. */
class PredictEvaluateCommandTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static String model;


    private static Cli.Result run(String... argv) {
        return Cli.run(argv);
    }

    @BeforeAll
    static void trainOnCsv() throws Exception {
        spark = SparkSession.builder().sparkContext(TestSpark.context().sc()).getOrCreate();
        TinyTables.writeCsv(dir.resolve("train.csv"), 400, 11);
        TinyTables.writeCsv(dir.resolve("test.csv"), 150, 12);
        spark.read().option("header", "true").option("inferSchema", "true").csv(dir.resolve("test.csv").toString())
                .coalesce(1).write().parquet(dir.resolve("test.parquet").toString());
        Path job = Files.writeString(dir.resolve("csv.conf"), """
                name = csvjob
                data { format = csv, dir = "%s", trainFile = train.csv, testFile = test.csv
                       featureCols = [x1, x2, x3, x4], numClasses = 3 }
                model.hidden = [16]
                train { epochs = 3, batchPerWorker = 16, stepsPerRound = 5 }
                optim.lr = 0.01
                """.formatted(dir));
        Cli.Result t = run("train", job.toString(), "--out", dir.resolve("run").toString());
        assertEquals(0, t.code(), t.err());
        model = dir.resolve("run/model.zip").toString();
    }

    private static List<Row> predictions(String path, String format) {
        Dataset<Row> d = format.equals("csv")
                ? spark.read().option("header", "true").option("inferSchema", "true").csv(path)
                : spark.read().parquet(path);
        return d.orderBy("id").collectAsList();
    }

    @Test
    void predictOnParquetAndOnCsvWritesIdsClassesAndProbabilitiesThatAgree() throws Exception {
        String parquetOut = dir.resolve("pred.parquet").toString();
        Cli.Result p = run("predict", model, dir.resolve("test.parquet").toString(), parquetOut);
        assertEquals(0, p.code(), p.err());
        String csvOut = dir.resolve("pred.csv").toString();
        Cli.Result c = run("predict", model, dir.resolve("test.csv").toString(), csvOut, "--batch", "7");
        assertEquals(0, c.code(), c.err());

        List<Row> fromParquet = predictions(parquetOut, "parquet");
        List<Row> fromCsv = predictions(csvOut, "csv");
        assertEquals(List.of("id", "prediction", "prob_0", "prob_1", "prob_2"),
                List.of(spark.read().parquet(parquetOut).columns()));
        assertEquals(150, fromParquet.size());
        assertEquals(150, fromCsv.size());
        for (int i = 0; i < 150; i++) {
            Row a = fromParquet.get(i);
            Row b = fromCsv.get(i);
            assertEquals(i, a.getInt(0));
            assertEquals(a.getInt(1), b.getInt(1), "prediction of id " + i);
            double sum = a.getDouble(2) + a.getDouble(3) + a.getDouble(4);
            assertEquals(1.0, sum, 1e-5);
            assertEquals(a.getDouble(2), b.getDouble(2), 1e-12);
        }
        assertFalse(Files.list(dir).anyMatch(f -> f.getFileName().toString().contains(".tmp-")),
                "temporary output directories remain");
    }

    @Test
    void predictionsMatchTheSparkMlModelOnTheSameRows() {
        String out = dir.resolve("pred-ml.parquet").toString();
        assertEquals(0, run("predict", model, dir.resolve("test.parquet").toString(), out).code());
        Dataset<Row> test = new VectorAssembler().setInputCols(TinyTables.FEATURES).setOutputCol("features")
                .transform(spark.read().parquet(dir.resolve("test.parquet").toString()));
        SyncBnClassificationModel m = org.syncbn.ml.SavedModels.load(spark, model);
        List<Row> direct = m.transform(test).orderBy("id").select("prediction").collectAsList();
        List<Row> cli = predictions(out, "parquet");
        for (int i = 0; i < direct.size(); i++) {
            assertEquals(direct.get(i).getDouble(0), cli.get(i).getInt(1), "prediction of id " + i);
        }
    }

    @Test
    void predictWithASavedSparkMlModelDirectory() throws Exception {
        Dataset<Row> train = new VectorAssembler().setInputCols(TinyTables.FEATURES).setOutputCol("features")
                .transform(spark.read().option("header", "true").option("inferSchema", "true")
                        .csv(dir.resolve("train.csv").toString()));
        SyncBnClassificationModel m = new SyncBnClassifier().setEpochs(1).setHiddenLayers(8).fit(train);
        String saved = dir.resolve("ml-model").toString();
        m.write().save(saved);
        String out = dir.resolve("pred-from-ml.csv").toString();
        Cli.Result r = run("predict", saved, dir.resolve("test.csv").toString(), out, "--features", "x1,x2,x3,x4");
        assertEquals(0, r.code(), r.err());
        assertEquals(150, predictions(out, "csv").size());
    }

    @Test
    void evaluatePrintsPerClassMetricsAndTheConfusionMatrixAndDrawsIt() throws Exception {
        Path png = dir.resolve("cm.png");
        Cli.Result e = run("evaluate", model, dir.resolve("test.csv").toString(), "--png", png.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("examples 150"), e.out());
        assertTrue(e.out().contains("class precision    recall        f1   support"), e.out());
        assertTrue(e.out().contains("confusion matrix (rows: actual, columns: predicted):"), e.out());
        Matcher acc = Pattern.compile("accuracy (0\\.\\d+)").matcher(e.out());
        assertTrue(acc.find());
        assertTrue(Double.parseDouble(acc.group(1)) > 0.8, e.out());
        // the matrix's rows add up to the examples of each class
        long total = 0;
        String[] lines = e.out().split("\n");
        int at = List.of(lines).indexOf("confusion matrix (rows: actual, columns: predicted):");
        for (int i = 1; i <= 3; i++) {
            for (String v : lines[at + i].trim().split("\\s+")) {
                total += Long.parseLong(v);
            }
        }
        assertEquals(150, total);
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > 100 && img.getHeight() > 100);

        Cli.Result parquet = run("evaluate", model, dir.resolve("test.parquet").toString(), "--png", png.toString());
        assertEquals(0, parquet.code(), parquet.err());
        assertEquals(e.out().replaceAll("confusion matrix image: .*", ""),
                parquet.out().replaceAll("confusion matrix image: .*", ""));
    }

    @Test
    void aFeatureColumnOfTheWrongTypeIsBadInputNamingTheColumn() throws Exception {
        Path words = dir.resolve("words.csv");
        Files.writeString(words, "id,x1,x2,x3,x4,note\n1,0.1,0.2,0.3,0.4,hello\n");
        Cli.Result r = run("predict", model, words.toString(), dir.resolve("never.parquet").toString());
        assertEquals(2, r.code());
        assertEquals(String.format(Locale.ROOT, "error: %s: column 'note' is string: expected a number, a vector or an "
                + "array of numbers%n", words), r.err());
        assertFalse(Files.exists(dir.resolve("never.parquet")));
    }

    @Test
    void aFeatureCountTheModelDoesNotTakeIsBadInput() {
        Cli.Result r = run("predict", model, dir.resolve("test.csv").toString(), dir.resolve("x.parquet").toString(),
                "--features", "x1,x2,x3");
        assertEquals(2, r.code(), r.err());
        assertEquals("error: " + dir.resolve("test.csv") + ": the features (x1, x2, x3) are 3 values per row: the model "
                + "expects 4" + System.lineSeparator(), r.err());
    }

    @Test
    void anExistingOutputIsNeverOverwritten() throws Exception {
        Path existing = Files.createDirectories(dir.resolve("exists.parquet"));
        Cli.Result r = run("predict", model, dir.resolve("test.csv").toString(), existing.toString());
        assertEquals(2, r.code());
        assertEquals("error: output " + existing + " already exists: expected a new path" + System.lineSeparator(),
                r.err());
    }
}
