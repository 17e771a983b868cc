package org.syncbn.data;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.store.Json;
import org.syncbn.testing.TestSpark;
import org.syncbn.testing.TinyTables;
import org.syncbn.train.TrainingRun;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CSV, LibSVM and Parquet job data: the same table gives the same shards in every format. */
class TableSourcesTest {
    @TempDir
    static Path dir;
    static SparkSession spark;

    @BeforeAll
    static void tables() throws Exception {
        spark = SparkSession.builder().sparkContext(TestSpark.context().sc()).getOrCreate();
        TinyTables.writeCsv(dir.resolve("train.csv"), 400, 1);
        TinyTables.writeCsv(dir.resolve("test.csv"), 200, 2);
        for (String name : List.of("train", "test")) {
            Dataset<Row> csv = spark.read().option("header", "true").option("inferSchema", "true")
                    .csv(dir.resolve(name + ".csv").toString());
            Dataset<Row> vec = new VectorAssembler().setInputCols(TinyTables.FEATURES).setOutputCol("features")
                    .transform(csv).select("id", "features", "label");
            vec.coalesce(1).write().parquet(dir.resolve(name + "-vector.parquet").toString());
            vec.withColumn("features", org.apache.spark.ml.functions.vector_to_array(functions.col("features"), "float64"))
                    .coalesce(1).write().parquet(dir.resolve(name + "-array.parquet").toString());
            StringBuilder svm = new StringBuilder();
            StringBuilder strings = new StringBuilder("label,features\n");
            for (String line : Files.readAllLines(dir.resolve(name + ".csv")).subList(1, name.equals("train") ? 401 : 201)) {
                String[] f = line.split(",");
                svm.append(f[5]);
                for (int j = 1; j <= 4; j++) {
                    svm.append(' ').append(j).append(':').append(f[j]);
                }
                svm.append('\n');
                strings.append(f[5]).append(",\"[").append(f[1]).append(',').append(f[2]).append(',').append(f[3])
                        .append(',').append(f[4]).append("]\"\n");
            }
            Files.writeString(dir.resolve(name + ".libsvm"), svm);
            Files.writeString(dir.resolve(name + "-strings.csv"), strings);
        }
        Files.writeString(dir.resolve("colors.csv"), "x1,color,label\n0.5,red,1\n0.1,blue,0\n");
        Files.writeString(dir.resolve("badlabel.csv"), "x1,x2,label\n0.5,1,1\n0.1,2,7\n");
    }

    private static JobSpec spec(String format, String train, String test, String... extra) {
        List<String> sets = new ArrayList<>(List.of("data.format=" + format, "data.dir=\"" + dir + "\"",
                "data.trainFile=\"" + train + "\"", "data.testFile=\"" + test + "\"", "data.numClasses=3",
                "train.workers=2", "train.batchPerWorker=16", "train.epochs=3", "train.stepsPerRound=5",
                "model.hidden=[16]", "optim.lr=0.01", "name=tables"));
        sets.addAll(List.of(extra));
        return JobSpecLoader.load(null, sets);
    }

    /** Every shard's (features, labels), by rank. */
    private static List<String> contents(JavaRDD<Shard> shards) {
        try {
            return shards.collect().stream().sorted(Comparator.comparingInt(Shard::rank)).map(s -> {
                DenseExamples e = (DenseExamples) s.examples();
                return s.rank() + ":" + e.count() + ":" + java.util.Arrays.toString(e.features()) + ":"
                        + java.util.Arrays.toString(e.labels());
            }).toList();
        } finally {
            shards.unpersist(false);
        }
    }

    private static List<String> trainingShards(JobSpec spec) {
        return contents(ShardSource.of(spec.data()).training(TestSpark.context(), 2, 0, 42, true));
    }

    @Test
    void csvLibsvmParquetVectorParquetArrayAndVectorStringsGiveIdenticalShards() {
        List<String> csv = trainingShards(spec("csv", "train.csv", "test.csv", "data.featureCols=[x1,x2,x3,x4]"));
        assertEquals(2, csv.size());
        assertTrue(csv.get(0).startsWith("0:200:"), csv.get(0).substring(0, 10));
        assertEquals(csv, trainingShards(spec("libsvm", "train.libsvm", "test.libsvm")));
        assertEquals(csv, trainingShards(spec("parquet", "train-vector.parquet", "test-vector.parquet",
                "data.featureCols=[features]")));
        assertEquals(csv, trainingShards(spec("parquet", "train-array.parquet", "test-array.parquet",
                "data.featureCols=[features]")));
        assertEquals(csv, trainingShards(spec("csv", "train-strings.csv", "test-strings.csv")));
    }

    @Test
    void shuffledShardsFollowTheShardPlanOrder() {
        JobSpec s = spec("csv", "train.csv", "test.csv", "data.featureCols=[x1,x2,x3,x4]");
        JavaRDD<Shard> shards = ShardSource.of(s.data()).training(TestSpark.context(), 2, 10, 42, true);
        int[] order = ShardPlan.globalOrder(400, 10, 42, true);
        List<Shard> got = shards.collect();
        shards.unpersist(false);
        Shard rank1 = got.stream().filter(x -> x.rank() == 1).findFirst().orElseThrow();
        assertEquals(5, rank1.examples().count());
        double[] first = new double[4];
        rank1.examples().copyFeatures(0, first, 0);
        // local position 0 of worker 1 is global position 1, i.e. file row order[1]
        Row row = spark.read().option("header", "true").option("inferSchema", "true")
                .csv(dir.resolve("train.csv").toString()).where("id = " + order[1]).first();
        assertArrayEquals(new double[] {row.getDouble(1), row.getDouble(2), row.getDouble(3), row.getDouble(4)}, first,
                0.0);
    }

    @Test
    void trainingJobOnCsvLearnsAndRecordsTheFilesItRead() throws Exception {
        Path out = dir.resolve("csv-run");
        TrainingRun.Result o = TrainingRun.of(TestSpark.context(),
                spec("csv", "train.csv", "test.csv", "data.featureCols=[x1,x2,x3,x4]")).writingTo(out.toString()).run();
        assertTrue(o.lastEval().accuracy() > 0.8, "test accuracy " + o.lastEval().accuracy());
        assertEquals(200, o.lastEval().count());
        JsonNode prov = Json.mapper().readTree(Files.readString(out.resolve("provenance.json")));
        assertEquals(64, prov.get("data").get("sha256").get("train.csv").asText().length());
    }

    @Test
    void parquetDirectoriesAreFingerprintedFileByFile() {
        var prints = ShardSource.of(spec("parquet", "train-vector.parquet", "test-vector.parquet").data()).fingerprint();
        assertTrue(prints.keySet().stream().anyMatch(k -> k.startsWith("train-vector.parquet/part-")), prints.toString());
    }

    @Test
    void aStringFeatureColumnIsRejectedNamingFileColumnAndExpectedType() {
        String file = dir.resolve("colors.csv").toString();
        SpecException e = assertThrows(SpecException.class, () -> trainingShards(spec("csv", "colors.csv", "colors.csv")));
        assertEquals(file + ": column 'color' is string: expected a number, a vector or an array of numbers",
                e.getMessage());
    }

    @Test
    void aMissingLabelColumnIsRejectedListingTheColumns() {
        String file = dir.resolve("train.csv").toString();
        SpecException e = assertThrows(SpecException.class,
                () -> trainingShards(spec("csv", "train.csv", "test.csv", "data.labelCol=y")));
        assertEquals(file + ": no column 'y' (columns: id, x1, x2, x3, x4, label)", e.getMessage());
    }

    @Test
    void aLabelOutsideTheClassesIsRejectedNamingRowColumnAndValue() {
        Exception e = assertThrows(Exception.class, () -> trainingShards(spec("csv", "badlabel.csv", "badlabel.csv")));
        assertEquals(dir.resolve("badlabel.csv") + ": row 2: label column 'label' holds 7.0: expected a class index, "
                + "a whole number in [0, 3)", SpecException.findIn(e).getMessage());
    }

    @Test
    void aMissingFileIsNamed() {
        SpecException e = assertThrows(SpecException.class, () -> trainingShards(spec("parquet", "nope.parquet", "x")));
        assertEquals("data file not found: " + dir.resolve("nope.parquet"), e.getMessage());
    }

    @Test
    void formatIsGuessedFromTheFileName() {
        assertEquals("csv", TableReader.formatOf("a/b.CSV"));
        assertEquals("parquet", TableReader.formatOf("hdfs://nn/x.parquet/"));
        assertEquals("libsvm", TableReader.formatOf("x.svm"));
        assertEquals(null, TableReader.formatOf("x.json"));
    }
}
