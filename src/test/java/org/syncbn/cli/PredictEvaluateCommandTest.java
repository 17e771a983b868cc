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
                       featureCols = [x1, x2, x3, x4], numClasses = 3, classNames = [alpha, "beta 2", gamma] }
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
    void predictOnParquetAndOnCsvWritesIdsClassesNamesAndProbabilitiesThatAgree() throws Exception {
        String parquetOut = dir.resolve("pred.parquet").toString();
        Cli.Result p = run("predict", model, dir.resolve("test.parquet").toString(), parquetOut);
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("(a Parquet directory)"), p.out());
        String csvOut = dir.resolve("pred.csv").toString();
        Cli.Result c = run("predict", model, dir.resolve("test.csv").toString(), csvOut, "--batch", "7");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("(one CSV file)"), c.out());

        List<Row> fromParquet = predictions(parquetOut, "parquet");
        List<Row> fromCsv = predictions(csvOut, "csv");
        assertEquals(List.of("id", "prediction", "label_name", "prob_0", "prob_1", "prob_2"),
                List.of(spark.read().parquet(parquetOut).columns()));
        assertEquals(150, fromParquet.size());
        assertEquals(150, fromCsv.size());
        List<String> names = List.of("alpha", "beta 2", "gamma");   // data.classNames of the run's provenance.json
        for (int i = 0; i < 150; i++) {
            Row a = fromParquet.get(i);
            Row b = fromCsv.get(i);
            assertEquals(i, a.getInt(0));
            assertEquals(a.getInt(1), b.getInt(1), "prediction of id " + i);
            assertEquals(names.get(a.getInt(1)), a.getString(2), "label_name of id " + i);
            assertEquals(a.getString(2), b.getString(2));
            double sum = a.getDouble(3) + a.getDouble(4) + a.getDouble(5);
            assertEquals(1.0, sum, 1e-5);
            assertEquals(a.getDouble(3), b.getDouble(3), 1e-12);
        }
        assertFalse(Files.list(dir).anyMatch(f -> f.getFileName().toString().contains(".tmp-")),
                "temporary output directories remain");
    }

    @Test
    void aCsvOutputIsOneFileWithAHeaderInInputOrderAndADirectoryWhenThePathEndsInASlash() throws Exception {
        Path out = dir.resolve("single/pred.csv");
        Files.createDirectories(out.getParent());
        Cli.Result one = run("predict", model, dir.resolve("test.csv").toString(), out.toString());
        assertEquals(0, one.code(), one.err());
        assertTrue(Files.isRegularFile(out), out + " is not one file");
        List<String> lines = Files.readAllLines(out);
        assertEquals("id,prediction,label_name,prob_0,prob_1,prob_2", lines.get(0));
        assertEquals(151, lines.size());
        for (int i = 0; i < 150; i++) {
            assertTrue(lines.get(i + 1).startsWith(i + ","), "row " + i + " out of the input's order: " + lines.get(i + 1));
        }
        try (var left = Files.list(out.getParent())) {
            assertEquals(List.of("pred.csv"), left.map(f -> f.getFileName().toString()).toList(),
                    "nothing but the CSV file (no temp directory, no .crc)");
        }

        Path csvDir = dir.resolve("pred-parts.csv");
        Cli.Result parts = run("predict", model, dir.resolve("test.csv").toString(), csvDir + "/");
        assertEquals(0, parts.code(), parts.err());
        assertTrue(parts.out().contains("(a CSV directory)"), parts.out());
        assertTrue(Files.isDirectory(csvDir));
        assertEquals(150, predictions(csvDir.toString(), "csv").size());

        Path forced = dir.resolve("forced.csv");
        Cli.Result parquet = run("predict", model, dir.resolve("test.csv").toString(), forced.toString(),
                "--output-format", "parquet");
        assertEquals(0, parquet.code(), parquet.err());
        assertEquals(150, spark.read().parquet(forced.toString()).count());
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
    void predictAndEvaluateScoreWithTheReadmesSavedPipelineModelAndRefuseWhatItCannotTakeInOneLine() throws Exception {
        // the README's Spark ML example, smaller, saved where the README saves it
        Dataset<Row> train = spark.read().option("header", "true").option("inferSchema", "true")
                .csv(dir.resolve("train.csv").toString());
        org.apache.spark.ml.PipelineModel fitted = new org.apache.spark.ml.Pipeline().setStages(
                new org.apache.spark.ml.PipelineStage[] {
                        new VectorAssembler().setInputCols(TinyTables.FEATURES).setOutputCol("raw"),
                        new org.apache.spark.ml.feature.StandardScaler().setInputCol("raw").setOutputCol("features")
                                .setWithMean(true),
                        new SyncBnClassifier().setWorkers(2).setBatchPerWorker(16).setEpochs(2).setHiddenLayers(8)
                                .setSeed(42)}).fit(train);
        Path saved = dir.resolve("models/tabular");
        fitted.write().overwrite().save(saved.toString());

        Path out = dir.resolve("pipe/pred.csv");
        Cli.Result p = run("predict", saved.toString(), dir.resolve("test.csv").toString(), out.toString());
        assertEquals(0, p.code(), p.err());
        List<Row> cli = predictions(out.toString(), "csv");
        List<Row> direct = fitted.transform(spark.read().option("header", "true").option("inferSchema", "true")
                .csv(dir.resolve("test.csv").toString())).orderBy("id").select("prediction").collectAsList();
        assertEquals(150, cli.size());
        for (int i = 0; i < 150; i++) {
            assertEquals(direct.get(i).getDouble(0), cli.get(i).getInt(1), "prediction of id " + i);
            assertEquals(String.valueOf(cli.get(i).getInt(1)), String.valueOf(cli.get(i).get(2)),
                    "a pipeline carries no class names: label_name is the index");
        }
        Cli.Result e = run("evaluate", saved.toString(), dir.resolve("test.csv").toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("examples 150"), e.out());
        Path png = dir.resolve("models/tabular-confusion-matrix.png");
        assertTrue(e.out().contains("confusion matrix image: " + png), "next to the saved model, not inside it: " + e.out());
        assertTrue(Files.isRegularFile(png));

        Path noX4 = Files.writeString(dir.resolve("no-x4.csv"), "id,x1,x2,x3,label\n0,0.1,0.2,0.3,1\n");
        org.apache.spark.ml.classification.LogisticRegression lr = new org.apache.spark.ml.classification.LogisticRegression()
                .setMaxIter(2);
        Path otherModel = dir.resolve("models/logistic");
        lr.fit(new VectorAssembler().setInputCols(TinyTables.FEATURES).setOutputCol("features").transform(train))
                .write().save(otherModel.toString());
        Path notAModel = Files.createDirectories(dir.resolve("models/empty"));
        List<List<String>> refused = List.of(
                List.of("predict", saved.toString(), dir.resolve("test.csv").toString(), dir.resolve("r1.csv").toString(),
                        "--features", "x1,x2"),
                List.of("predict", saved.toString(), noX4.toString(), dir.resolve("r2.csv").toString()),
                List.of("predict", otherModel.toString(), dir.resolve("test.csv").toString(), dir.resolve("r3.csv").toString()),
                List.of("predict", notAModel.toString(), dir.resolve("test.csv").toString(), dir.resolve("r4.csv").toString()),
                List.of("evaluate", otherModel.toString(), dir.resolve("test.csv").toString()));
        List<String> says = List.of("PipelineModel " + saved, "the PipelineModel " + saved + " cannot score this table",
                "is a saved org.apache.spark.ml.classification.LogisticRegressionModel: expected a model.zip",
                "model directory " + notAModel + " holds neither model.zip nor a saved Spark ML model",
                "is a saved org.apache.spark.ml.classification.LogisticRegressionModel");
        for (int i = 0; i < refused.size(); i++) {
            Cli.Result r = run(refused.get(i).toArray(String[]::new));
            assertEquals(2, r.code(), refused.get(i) + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("error: ") && r.err().contains(says.get(i)), r.err());
        }
        assertTrue(run("predict", saved.toString(), noX4.toString(), dir.resolve("r2.csv").toString()).err()
                .contains("x4"), "names the column the pipeline lacks");
        for (String r : List.of("r1.csv", "r2.csv", "r3.csv", "r4.csv")) {
            assertFalse(Files.exists(dir.resolve(r)), r + " was written");
        }
    }

    @Test
    void evaluatePrintsPerClassMetricsAndTheConfusionMatrixAndDrawsIt() throws Exception {
        Path png = dir.resolve("cm.png");
        Cli.Result e = run("evaluate", model, dir.resolve("test.csv").toString(), "--png", png.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("examples 150"), e.out());
        // the classes by the names the training spec gave them (its provenance.json beside the model)
        assertTrue(e.out().contains(" class name   precision    recall        f1   support"), e.out());
        assertTrue(e.out().contains("     1 beta 2 "), e.out());
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
        assertEquals("[\"alpha\", \"beta 2\", \"gamma\"]", pngText(png, "Classes"), "the image's class names");
        assertTrue(e.out().contains("confusion matrix image: " + png), e.out());

        Cli.Result parquet = run("evaluate", model, dir.resolve("test.parquet").toString(), "--png", png.toString());
        assertEquals(0, parquet.code(), parquet.err());
        assertEquals(e.out().replaceAll("confusion matrix image: .*", ""),
                parquet.out().replaceAll("confusion matrix image: .*", ""));
    }

    /** The text of a PNG's iTXt/tEXt chunk {@code keyword}, or null. */
    static String pngText(Path png, String keyword) throws Exception {
        javax.imageio.ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
        try (var in = ImageIO.createImageInputStream(png.toFile())) {
            reader.setInput(in);
            org.w3c.dom.Node root = reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
            for (org.w3c.dom.Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n.getNodeName().equals("iTXt") || n.getNodeName().equals("tEXt")) {
                    for (org.w3c.dom.Node e = n.getFirstChild(); e != null; e = e.getNextSibling()) {
                        org.w3c.dom.NamedNodeMap a = e.getAttributes();
                        if (keyword.equals(a.getNamedItem("keyword").getNodeValue())) {
                            return a.getNamedItem(n.getNodeName().equals("iTXt") ? "text" : "value").getNodeValue();
                        }
                    }
                }
            }
            return null;
        } finally {
            reader.dispose();
        }
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
    void aFeatureCountTheModelDoesNotTakeIsBadInputNamingBothCountsAndAFewColumns() throws Exception {
        Cli.Result r = run("predict", model, dir.resolve("test.csv").toString(), dir.resolve("x.parquet").toString(),
                "--features", "x1,x2,x3");
        assertEquals(2, r.code(), r.err());
        assertEquals("error: " + dir.resolve("test.csv") + ": the model expects 4 features per row, found 3 in columns"
                + " x1, x2, x3 (name them with --features)" + System.lineSeparator(), r.err());
        // a table of 784 pixel columns: the counts and six names, not 784
        StringBuilder wide = new StringBuilder("id");
        for (int c = 0; c < 784; c++) {
            wide.append(",pixel").append(c);
        }
        wide.append("\n0");
        for (int c = 0; c < 784; c++) {
            wide.append(",0.5");
        }
        Path pixels = Files.writeString(dir.resolve("pixels.csv"), wide.append('\n').toString());
        Cli.Result w = run("predict", model, pixels.toString(), dir.resolve("never-wide.csv").toString());
        assertEquals(2, w.code(), w.err());
        assertEquals("error: " + pixels + ": the model expects 4 features per row, found 784 in columns pixel0, pixel1,"
                + " pixel2, pixel3, pixel4, ..., pixel783 (784 columns) (name them with --features)" + System.lineSeparator(), w.err());
        assertFalse(Files.exists(dir.resolve("never-wide.csv")));
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
