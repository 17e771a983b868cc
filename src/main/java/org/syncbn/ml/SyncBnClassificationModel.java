package org.syncbn.ml;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A trained SyncBN network as a Spark ML {@link Model}: {@code transform} appends the predicted
 * class index (double) and the class probabilities (vector) to every row. Scoring runs on the
 * executors in inference mode (BatchNorm uses its running statistics, so a row's prediction does
 * not depend on the other rows): the network is broadcast once per transform and each partition
 * is scored in batches of {@code batchSize} rows.
 *
 * <p>Saved as Spark ML metadata plus {@code data/model.zip}, a standard DL4J model file.
 */
public final class SyncBnClassificationModel extends Model<SyncBnClassificationModel> implements MLWritable {
    private final String uid;
    private final TrainedNetwork network;
    private final int numFeatures;
    private final int numClasses;
    private final Param<String> featuresCol;
    private final Param<String> predictionCol;
    private final Param<String> probabilityCol;
    private final IntParam batchSize;

    public SyncBnClassificationModel(String uid, TrainedNetwork network) {
        this.uid = uid;
        // params name their parent by uid, so they are made once the uid is set
        this.featuresCol = new Param<>(this, "featuresCol", "features column (vector)");
        this.predictionCol = new Param<>(this, "predictionCol", "output column: predicted class index (double)");
        this.probabilityCol = new Param<>(this, "probabilityCol", "output column: class probabilities (vector)");
        this.batchSize = new IntParam(this, "batchSize", "rows per network call when scoring (>= 1)",
                ParamValidators.gtEq(1));
        this.network = network;
        this.numFeatures = network.numFeatures();
        this.numClasses = network.numClasses();
        setDefault(featuresCol, "features");
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
        setDefault(batchSize, 256);
    }

    /** A model of {@code network} with a fresh uid and default columns (e.g. from a model.zip). */
    public SyncBnClassificationModel(TrainedNetwork network) {
        this(Identifiable.randomUID("syncBnClassificationModel"), network);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> featuresCol() {
        return featuresCol;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public String getFeaturesCol() {
        return getOrDefault(featuresCol);
    }

    public String getPredictionCol() {
        return getOrDefault(predictionCol);
    }

    public String getProbabilityCol() {
        return getOrDefault(probabilityCol);
    }

    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    public SyncBnClassificationModel setFeaturesCol(String value) {
        set(featuresCol, value);
        return this;
    }

    public SyncBnClassificationModel setPredictionCol(String value) {
        set(predictionCol, value);
        return this;
    }

    public SyncBnClassificationModel setProbabilityCol(String value) {
        set(probabilityCol, value);
        return this;
    }

    public SyncBnClassificationModel setBatchSize(int value) {
        set(batchSize, value);
        return this;
    }

    /** The network's parameters and configuration. */
    public TrainedNetwork network() {
        return network;
    }

    public int numFeatures() {
        return numFeatures;
    }

    public int numClasses() {
        return numClasses;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        StageSchema.requireVector(schema, getFeaturesCol());
        return StageSchema.withOutputs(schema, getPredictionCol(), getProbabilityCol());
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        Dataset<Row> df = dataset.toDF();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(df.sparkSession().sparkContext());
        // not destroyed: the returned DataFrame is lazy and may be recomputed at any later action
        Broadcast<TrainedNetwork> shared = sc.broadcast(network);
        int featuresIndex = df.schema().fieldIndex(getFeaturesCol());
        String column = getFeaturesCol();
        int batch = getBatchSize();
        int width = numFeatures;
        JavaRDD<Row> scored = df.javaRDD().mapPartitions(rows -> rows.hasNext()
                ? new PartitionScorer(rows, shared.value().network(), width, featuresIndex, column, batch)
                : rows);
        return df.sparkSession().createDataFrame(scored, out);
    }

    @Override
    public SyncBnClassificationModel copy(ParamMap extra) {
        SyncBnClassificationModel copy = copyValues(new SyncBnClassificationModel(uid, network), extra);
        return copy.setParent(parent());
    }

    @Override
    public MLWriter write() {
        return new SyncBnModelWriter(this);
    }

    public static MLReader<SyncBnClassificationModel> read() {
        return new SyncBnModelReader();
    }

    public static SyncBnClassificationModel load(String path) {
        return read().load(path);
    }
}
