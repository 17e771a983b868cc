package org.syncbn.data;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.testing.Cli;
import org.syncbn.testing.TestSpark;
import org.syncbn.testing.TinyTables;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every row of a CSV, Parquet or LibSVM table is checked where it is read, whichever shard it goes
 * to: finite features, the width of row 1 (or of data.imageShape), errors naming file, row, column.
 */
class TableRowChecksTest {
    static final int ROWS = 400;

    @TempDir
    static Path dir;
    @TempDir
    Path tmp;
    static SparkSession spark;

    /** {@code rows} lines "label,features" where features is the string vector {@code vector(i)} (i from 1). */
    static void writeVectorCsv(Path file, int rows, IntFunction<String> vector) throws Exception {
        StringBuilder sb = new StringBuilder("label,features\n");
        for (int i = 1; i <= rows; i++) {
            sb.append(i % 3).append(",\"").append(vector.apply(i)).append("\"\n");
        }
        Files.writeString(file, sb);
    }

    /** TinyTables' CSV with data row {@code row} (from 1) having {@code value} in column x{@code col}. */
    static void writeCsvWith(Path file, int row, int col, String value) throws Exception {
        TinyTables.writeCsv(file, ROWS, 7);
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        String[] f = lines.get(row).split(",");
        f[col] = value;
        lines.set(row, String.join(",", f));
        Files.write(file, lines);
    }

    static void writeParquet(Path file, List<Row> rows, StructType schema) {
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(file.toString());
    }

    @BeforeAll
    static void tables() throws Exception {
        spark = SparkSession.builder().sparkContext(TestSpark.context().sc()).getOrCreate();
        TinyTables.writeCsv(dir.resolve("good.csv"), 40, 3);
        writeCsvWith(dir.resolve("nan.csv"), 301, 3, "NaN");
        writeCsvWith(dir.resolve("inf.csv"), 2, 1, "Infinity");
        writeCsvWith(dir.resolve("neginf.csv"), 399, 4, "-Inf");
        writeVectorCsv(dir.resolve("nan-strings.csv"), ROWS, i -> i == 200 ? "[0.1,NaN,0.3,0.4]" : "[0.1,0.2,0.3,0.4]");
        // every even row one value short: with 2 workers and no shuffle, a whole shard of width 3
        writeVectorCsv(dir.resolve("narrow-half.csv"), ROWS, i -> i % 2 == 0 ? "[1,2,3]" : "[1,2,3,4]");

        StructType vec = new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);
        List<Row> vectors = new ArrayList<>();
        for (int i = 1; i <= ROWS; i++) {
            vectors.add(RowFactory.create(Vectors.dense(0.5, i == 150 ? Double.NaN : 0.25, 1.0), (double) (i % 3)));
        }
        writeParquet(dir.resolve("nan-vector.parquet"), vectors, vec);

        StructType arr = new StructType().add("features", DataTypes.createArrayType(DataTypes.DoubleType))
                .add("label", DataTypes.DoubleType);
        List<Row> arrays = new ArrayList<>();
        for (int i = 1; i <= ROWS; i++) {
            arrays.add(RowFactory.create(List.of(0.5, 0.25, i == 333 ? Double.POSITIVE_INFINITY : 1.0),
                    (double) (i % 3)));
        }
        writeParquet(dir.resolve("inf-array.parquet"), arrays, arr);
        List<Row> ragged = new ArrayList<>();
        for (int i = 1; i <= ROWS; i++) {
            ragged.add(RowFactory.create(i == 250 ? List.of(0.5, 0.25) : List.of(0.5, 0.25, 1.0), (double) (i % 3)));
        }
        writeParquet(dir.resolve("ragged-array.parquet"), ragged, arr);

        StringBuilder svm = new StringBuilder();
        for (int i = 1; i <= ROWS; i++) {
            svm.append(i % 3).append(" 1:0.5 2:").append(i == 250 ? "NaN" : "0.25").append(" 4:1\n");
        }
        Files.writeString(dir.resolve("nan.libsvm"), svm);

        // 12 pixel columns: images of [3, 2, 2]
        StringBuilder px = new StringBuilder();
        for (int j = 0; j < 12; j++) {
            px.append('p').append(j).append(',');
        }
        px.append("label\n");
        for (int i = 0; i < 20; i++) {
            for (int j = 0; j < 12; j++) {
                px.append(String.format(Locale.ROOT, "%d.%02d,", i, j));
            }
            px.append(i % 3).append('\n');
        }
        Files.writeString(dir.resolve("pixels.csv"), px);
        // 784 pixel columns, 3 rows: a wrong imageShape must not print them all
        StringBuilder wide = new StringBuilder();
        for (int j = 0; j < 784; j++) {
            wide.append("pixel").append(j).append(',');
        }
        wide.append("label\n");
        for (int i = 0; i < 3; i++) {
            wide.append("0,".repeat(784)).append(i).append('\n');
        }
        Files.writeString(dir.resolve("wide.csv"), wide);
        // LibSVM pixels of [1, 3, 4]: the largest index written is 10, trailing zeros are left out
        Files.writeString(dir.resolve("pixels.libsvm"), "0 1:0.5 10:1\n1 3:0.25\n2 2:1 5:2\n");
        Files.writeString(dir.resolve("past.libsvm"), "0 1:0.5 10:1\n1 3:0.25\n2 2:1 5:2\n1 1:1\n0 2:1\n1 3:1\n2 13:1\n");
        Files.writeString(dir.resolve("small.libsvm"), "0 1:0.5 4:1\n1 3:0.25\n2 2:1\n");
        Files.writeString(dir.resolve("small-test.libsvm"), "0 1:0.5\n1 3:0.25\n2 6:1\n");
    }

    private static JobSpec spec(String format, String train, String test, String... extra) {
        List<String> sets = new ArrayList<>(List.of("data.format=" + format, "data.dir=\"" + dir + "\"",
                "data.trainFile=\"" + train + "\"", "data.testFile=\"" + test + "\"", "data.numClasses=3",
                "train.workers=2", "model.hidden=[8]", "name=rows"));
        sets.addAll(List.of(extra));
        return JobSpecLoader.load(null, sets);
    }

    private static List<Shard> training(JobSpec spec, boolean shuffle) {
        JavaRDD<Shard> shards = ShardSource.of(spec.data()).training(TestSpark.context(), 2, 0, 42, shuffle);
        try {
            ShardInfo.of(shards);
            return shards.collect().stream().sorted(Comparator.comparingInt(Shard::rank)).toList();
        } finally {
            shards.unpersist(false);
        }
    }

    /** The one line a bad table gives, wherever Spark found it. */
    private static String refusal(JobSpec spec, boolean shuffle) {
        Exception e = assertThrows(Exception.class, () -> training(spec, shuffle));
        SpecException bad = SpecException.findIn(e);
        assertTrue(bad != null, () -> "not bad input: " + e);
        assertFalse(bad.getMessage().contains("\n"), bad.getMessage());
        return bad.getMessage();
    }

    private static String path(String file) {
        return dir.resolve(file).toString();
    }

    @Test
    void nanAndInfinityInCsvColumnsAreRefusedNamingFileRowAndColumnInAnyShard() {
        assertEquals(path("nan.csv") + ": row 301, column 'x3' holds NaN: expected a finite number",
                refusal(spec("csv", "nan.csv", "good.csv", "data.featureCols=[x1,x2,x3,x4]"), true));
        assertEquals(path("inf.csv") + ": row 2, column 'x1' holds Infinity: expected a finite number",
                refusal(spec("csv", "inf.csv", "good.csv", "data.featureCols=[x1,x2,x3,x4]"), false));
        assertEquals(path("neginf.csv") + ": row 399, column 'x4' holds -Infinity: expected a finite number",
                refusal(spec("csv", "neginf.csv", "good.csv", "data.featureCols=[x1,x2,x3,x4]"), false));
    }

    @Test
    void rowsPastMaxTrainExamplesAreCheckedToo() {
        assertEquals(path("nan.csv") + ": row 301, column 'x3' holds NaN: expected a finite number",
                refusal(spec("csv", "nan.csv", "good.csv", "data.featureCols=[x1,x2,x3,x4]",
                        "data.maxTrainExamples=10"), false));
    }

    @Test
    void nanInVectorArrayStringAndLibsvmFeaturesNamesTheElement() {
        assertEquals(path("nan-vector.parquet") + ": row 150, column 'features' element 1 (0-based) holds NaN: "
                + "expected a finite number", refusal(spec("parquet", "nan-vector.parquet", "nan-vector.parquet"), true));
        assertEquals(path("inf-array.parquet") + ": row 333, column 'features' element 2 (0-based) holds Infinity: "
                + "expected a finite number", refusal(spec("parquet", "inf-array.parquet", "inf-array.parquet"), true));
        assertEquals(path("nan-strings.csv") + ": row 200, column 'features' element 1 (0-based) holds NaN: "
                + "expected a finite number", refusal(spec("csv", "nan-strings.csv", "nan-strings.csv"), true));
        assertEquals(path("nan.libsvm") + ": row 250, feature index 2 (column 'features') holds NaN: "
                + "expected a finite number", refusal(spec("libsvm", "nan.libsvm", "nan.libsvm"), true));
    }

    @Test
    void aWholeShardOfAnotherWidthIsRefusedNamingTheFirstRowThatDiffers() {
        String expected = path("narrow-half.csv") + ": row 2 has 3 features, expected 4 as row 1 has: column "
                + "'features' holds 3 values, in row 1 4";
        assertEquals(expected, refusal(spec("csv", "narrow-half.csv", "narrow-half.csv"), false));
        assertEquals(path("ragged-array.parquet") + ": row 250 has 2 features, expected 3 as row 1 has: column "
                + "'features' holds 2 values, in row 1 3",
                refusal(spec("parquet", "ragged-array.parquet", "ragged-array.parquet"), true));
    }

    @Test
    void imageShapeMakesTableRowsImagesInChwOrder() {
        List<Shard> shards = training(spec("csv", "pixels.csv", "pixels.csv", "data.imageShape=[3,2,2]",
                "data.shuffle=false"), false);
        for (Shard s : shards) {
            assertEquals(Optional.of(new ImageShape(3, 2, 2)), s.examples().imageShape());
        }
        double[] x = new double[12];
        shards.get(1).examples().copyFeatures(0, x, 0);   // worker 1's first example is file row 2
        for (int j = 0; j < 12; j++) {
            assertEquals(1 + j / 100.0, x[j], 1e-12);
        }
        JavaRDD<Shard> rdd = ShardSource.of(spec("csv", "pixels.csv", "pixels.csv", "data.imageShape=[3,2,2]").data())
                .test(TestSpark.context(), 3, 0);
        try {
            assertEquals(Optional.of(new ImageShape(3, 2, 2)), ShardInfo.of(rdd).imageShape());
        } finally {
            rdd.unpersist(false);
        }
    }

    @Test
    void aRowOfAnotherWidthThanImageShapeIsRefusedInOneShortLine() {
        assertEquals(path("pixels.csv") + ": row 1 has 12 features, expected 8 = 2x2x2 (data.imageShape = [2, 2, 2]) "
                + "(columns 'p0', 'p1', 'p2', ... (12 columns))",
                refusal(spec("csv", "pixels.csv", "pixels.csv", "data.imageShape=[2,2,2]"), false));
        SpecException wide = assertThrows(SpecException.class,
                () -> training(spec("csv", "wide.csv", "wide.csv", "data.imageShape=[1,28,27]"), false));
        assertEquals(path("wide.csv") + ": row 1 has 784 features, expected 756 = 1x28x27 (data.imageShape = "
                + "[1, 28, 27]) (columns 'pixel0', 'pixel1', 'pixel2', ... (784 columns))", wide.getMessage());
    }

    @Test
    void libsvmRowsArePaddedToImageShapeAndAnIndexPastItIsRefused() {
        List<Shard> shards = training(spec("libsvm", "pixels.libsvm", "pixels.libsvm", "data.imageShape=[1,3,4]",
                "data.shuffle=false"), false);
        assertEquals(12, shards.get(0).examples().featureSize());
        double[] x = new double[12];
        shards.get(0).examples().copyFeatures(0, x, 0);
        assertArrayEquals(new double[] {0.5, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}, x, 0.0);
        assertEquals(path("past.libsvm") + ": row 7 has feature index 13, expected indices 1..12 = 1x3x4 "
                + "(data.imageShape = [1, 3, 4])",
                refusal(spec("libsvm", "past.libsvm", "past.libsvm", "data.imageShape=[1,3,4]"), true));
    }

    @Test
    void aLibsvmTestRowPastTheTrainingWidthIsRefusedNamingIt() {
        JobSpec s = spec("libsvm", "small.libsvm", "small-test.libsvm");
        JavaRDD<Shard> test = ShardSource.of(s.data()).test(TestSpark.context(), 2, 0);
        try {
            Exception e = assertThrows(Exception.class, () -> ShardInfo.of(test));
            assertEquals(path("small-test.libsvm") + ": row 3 has feature index 6, expected indices 1..4 as the "
                    + "training file " + path("small.libsvm") + " has", SpecException.findIn(e).getMessage());
        } finally {
            test.unpersist(false);
        }
    }

    @Test
    void theSparkMlPathChecksItsVectorColumnRowByRow() {
        StructType schema = new StructType().add("v", SQLDataTypes.VectorType()).add("y", DataTypes.DoubleType);
        Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create(Vectors.dense(1, 2), 0.0),
                RowFactory.create(Vectors.dense(1, 2), 1.0), RowFactory.create(Vectors.dense(Double.NaN, 2), 0.0)),
                schema);
        FeatureColumns cols = FeatureColumns.of("training data", df.schema(), List.of("v"), "y", List.of());
        Exception e = assertThrows(Exception.class, () -> cols.examples(df, 2).collect());
        assertEquals("training data: row 3, column 'v' element 0 (0-based) holds NaN: expected a finite number",
                SpecException.findIn(e).getMessage());
    }

    @Test
    void theCommandLineRefusesNanDataWithExitTwoAndWritesNothing() throws Exception {
        Path out = tmp.resolve("out");
        Path job = Files.writeString(tmp.resolve("job.conf"), "name = nan-table\n");
        TestSpark.context();   // the CLI reuses the running context instead of starting a second one
        Cli.Result r = Cli.run("train", job.toString(), "--set", "data.format=csv", "--set", "data.dir=\"" + dir + "\"",
                "--set", "data.trainFile=nan.csv", "--set", "data.testFile=good.csv",
                "--set", "data.featureCols=[x1,x2,x3,x4]", "--set", "data.numClasses=3", "--set", "model.hidden=[8]",
                "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("error: " + path("nan.csv") + ": row 301, column 'x3' holds NaN"), r.err());
        assertFalse(Files.exists(out), "nothing is written on bad input");
    }
}
