package org.syncbn.ml;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.testing.TestSpark;
import org.syncbn.testing.TinyTables;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The estimator as a Pipeline stage on a small CSV: fit, score, save, load, wrong inputs. */
class MlPipelineTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Dataset<Row> table;

    @BeforeAll
    static void data() throws Exception {
        spark = SparkSession.builder().sparkContext(TestSpark.context().sc()).getOrCreate();
        Path csv = TinyTables.writeCsv(tmp.resolve("train.csv"), 300, 7);
        table = spark.read().option("header", "true").option("inferSchema", "true").csv(csv.toString());
    }

    private static SyncBnClassifier classifier() {
        return new SyncBnClassifier().setWorkers(2).setBatchPerWorker(16).setEpochs(3).setStepsPerRound(5)
                .setHiddenLayers(16).setLearningRate(0.01).setSeed(7);
    }

    private static Pipeline pipeline() {
        VectorAssembler assembler = new VectorAssembler().setInputCols(TinyTables.FEATURES).setOutputCol("raw");
        StandardScaler scaler = new StandardScaler().setInputCol("raw").setOutputCol("features")
                .setWithMean(true).setWithStd(true);
        return new Pipeline().setStages(new PipelineStage[] {assembler, scaler, classifier()});
    }

    private static List<Row> scored(PipelineModel model) {
        return model.transform(table).orderBy("id").select("id", "prediction", "probability").collectAsList();
    }

    @Test
    void pipelineOfAssemblerScalerAndClassifierLearnsAndScoresIdenticallyAfterSaveAndLoad() throws Exception {
        PipelineModel model = pipeline().fit(table);
        Dataset<Row> out = model.transform(table);
        double accuracy = new MulticlassClassificationEvaluator().setLabelCol("label")
                .setPredictionCol("prediction").setMetricName("accuracy").evaluate(out);
        assertTrue(accuracy > 0.8, "training accuracy " + accuracy);

        String dir = tmp.resolve("pipeline-model").toString();
        model.write().overwrite().save(dir);
        PipelineModel loaded = PipelineModel.load(dir);
        List<Row> before = scored(model);
        List<Row> after = scored(loaded);
        assertEquals(300, after.size());
        for (int i = 0; i < before.size(); i++) {
            assertEquals(before.get(i).getDouble(1), after.get(i).getDouble(1), "prediction of row " + i);
            assertArrayEquals(((Vector) before.get(i).get(2)).toArray(), ((Vector) after.get(i).get(2)).toArray(), 0.0,
                    "probabilities of row " + i);
        }
        SyncBnClassificationModel stage = (SyncBnClassificationModel) loaded.stages()[2];
        assertEquals(3, stage.numClasses());
        assertEquals(4, stage.numFeatures());
    }

    @Test
    void unfittedPipelineSavesAndLoadsWithTheEstimatorsParams() throws Exception {
        String dir = tmp.resolve("pipeline").toString();
        pipeline().write().overwrite().save(dir);
        SyncBnClassifier loaded = (SyncBnClassifier) Pipeline.load(dir).getStages()[2];
        assertEquals(16, loaded.getBatchPerWorker());
        assertArrayEquals(new int[] {16}, loaded.getHiddenLayers());
        assertEquals(7L, loaded.getSeed());
        assertEquals("sync", loaded.getBnMode());
    }

    @Test
    void modelScoresEveryRowWhateverThePartitioning() {
        Dataset<Row> assembled = new VectorAssembler().setInputCols(TinyTables.FEATURES).setOutputCol("features")
                .transform(table);
        SyncBnClassificationModel model = classifier().setEpochs(1).fit(assembled);
        List<Row> one = model.transform(assembled.repartition(1)).orderBy("id").select("prediction").collectAsList();
        List<Row> five = model.setBatchSize(7).transform(assembled.repartition(5)).orderBy("id").select("prediction")
                .collectAsList();
        assertEquals(one, five);
    }

    @Test
    void featuresOfTheWrongTypeAreRejectedNamingTheColumn() {
        Dataset<Row> strings = table.withColumn("features", functions.col("x1").cast("string"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> classifier().fit(strings));
        assertEquals("column 'features' is string: expected vector (Spark ML VectorUDT, e.g. the output of VectorAssembler)",
                e.getMessage());
    }

    @Test
    void aLabelOfTheWrongTypeOrAMissingColumnIsRejectedNamingTheColumn() {
        Dataset<Row> assembled = new VectorAssembler().setInputCols(TinyTables.FEATURES).setOutputCol("features")
                .transform(table).withColumn("label", functions.col("label").cast("string"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> classifier().fit(assembled));
        assertEquals("column 'label' is string: expected a numeric class index 0, 1, ... (e.g. the output of StringIndexer)",
                e.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> classifier().setFeaturesCol("vec").transformSchema(table.schema()));
        assertTrue(missing.getMessage().startsWith("input has no column 'vec' (columns: id, x1, x2, x3, x4, label"),
                missing.getMessage());
    }

    @Test
    void labelsThatAreNotClassIndicesAreRejectedBeforeTrainingNamingTheValue() {
        Dataset<Row> assembled = new VectorAssembler().setInputCols(TinyTables.FEATURES).setOutputCol("features")
                .transform(table);
        Dataset<Row> fractional = assembled.withColumn("label",
                functions.when(functions.col("id").equalTo(5), 1.5).otherwise(functions.col("label")));
        assertEquals("column 'label' holds 1.5: expected whole class indices 0, 1, ...",
                assertThrows(IllegalArgumentException.class, () -> classifier().fit(fractional)).getMessage());
        assertEquals("column 'label' holds 2.0: expected class indices < numClasses = 2",
                assertThrows(IllegalArgumentException.class, () -> classifier().setNumClasses(2).fit(assembled))
                        .getMessage());
    }

    @Test
    void invalidParamValuesAreRejectedWhenSet() {
        assertThrows(IllegalArgumentException.class, () -> classifier().setWorkers(0));
        assertThrows(IllegalArgumentException.class, () -> classifier().setOptimizer("rmsprop"));
        assertThrows(IllegalArgumentException.class, () -> classifier().setBnMode("shared"));
        assertEquals("group:2", classifier().setBnMode("group:2").getBnMode());
        assertThrows(IllegalArgumentException.class, () -> classifier().setSync("averaging"));
    }

    @Test
    void theSyncParamReachesTheJobTheStageTrains() {
        assertEquals(org.syncbn.config.JobSpec.SyncMode.PARAMETERS, classifier().jobSpec(3).train().sync());
        assertEquals(org.syncbn.config.JobSpec.SyncMode.GRADIENTS,
                classifier().setSync("gradients").jobSpec(3).train().sync());
    }
}
