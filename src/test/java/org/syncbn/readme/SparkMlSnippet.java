package org.syncbn.readme;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.syncbn.ml.SyncBnClassifier;

/**
 * README's "Use from Spark ML" snippet as a user's own program: a session of its own, the pipeline,
 * save, load, score, {@code spark.stop()}, and main returns. Run in a child JVM by
 * {@link ReadmeProgramsExitTest}: args are the working directory's train.csv and test.csv.
 */
public final class SparkMlSnippet {
    private SparkMlSnippet() {
    }

    public static void main(String[] args) throws java.io.IOException {
        SparkSession spark = SparkSession.builder().master("local[4]").appName("user-program")
                .config("spark.ui.enabled", "false").getOrCreate();
        Dataset<Row> train = spark.read().option("header", "true").option("inferSchema", "true").csv(args[0]);
        Dataset<Row> test = spark.read().option("header", "true").option("inferSchema", "true").csv(args[1]);

        // --- the README snippet, as written ---
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
                new VectorAssembler().setInputCols(new String[] {"x1", "x2", "x3", "x4"}).setOutputCol("raw"),
                new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true),
                new SyncBnClassifier()                       // featuresCol "features", labelCol "label"
                        .setWorkers(4).setBatchPerWorker(32).setEpochs(5).setStepsPerRound(10)
                        .setHiddenLayers(128, 64).setBnMode("sync").setOptimizer("adam").setLearningRate(1e-3)
                        .setSeed(42)});
        PipelineModel model = pipeline.fit(train);
        model.write().overwrite().save("models/tabular");

        Dataset<Row> scored = PipelineModel.load("models/tabular").transform(test);
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(scored);
        // --- end of the snippet ---

        System.out.println("accuracy " + accuracy);
        spark.stop();
        System.out.println("MAIN RETURNS");
    }
}
