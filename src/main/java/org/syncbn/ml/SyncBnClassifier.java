package org.syncbn.ml;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.data.FeatureColumns;
import org.syncbn.data.LabeledVector;
import org.syncbn.data.RowShards;
import org.syncbn.data.Shard;
import org.syncbn.network.Network;
import org.syncbn.train.TrainingRun;

import org.syncbn.bn.BnMode;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Spark ML {@link Estimator} training a SyncBN network on a DataFrame of (features vector, class
 * index) rows with the project's distributed round loop: {@code workers} barrier tasks of
 * {@code batchPerWorker} rows per step, BatchNorm statistics shared per {@code bnMode}, parameters,
 * updater state and running statistics merged every {@code stepsPerRound} steps.
 *
 * <p>The params map one to one onto job-spec keys (model.*, bn.*, train.*, optim.*, seed, dtype)
 * and are validated as a job spec is; defaults are a small sync-BN MLP.
 */
public final class SyncBnClassifier extends Estimator<SyncBnClassificationModel> implements DefaultParamsWritable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SyncBnClassifier.class);
    private final String uid;

    private final Param<String> featuresCol;
    private final Param<String> labelCol;
    private final Param<String> predictionCol;
    private final Param<String> probabilityCol;
    private final IntParam numClasses;
    private final Param<String> modelType;
    private final Param<String> modelFile;
    private final IntArrayParam hiddenLayers;
    private final IntArrayParam convChannels;
    private final IntParam convKernel;
    private final Param<String> activation;
    private final Param<String> bnMode;
    private final DoubleParam bnDecay;
    private final IntParam workers;
    private final IntParam batchPerWorker;
    private final IntParam epochs;
    private final IntParam stepsPerRound;
    private final Param<String> sync;
    private final Param<String> optimizer;
    private final DoubleParam learningRate;
    private final DoubleParam l2;
    private final LongParam seed;
    private final Param<String> dtype;

    public SyncBnClassifier(String uid) {
        this.uid = uid;
        // params name their parent by uid, so they are made once the uid is set
        this.featuresCol = new Param<>(this, "featuresCol", "features column (vector)");
        this.labelCol = new Param<>(this, "labelCol", "label column: class index 0, 1, ...");
        this.predictionCol = new Param<>(this, "predictionCol",
                "output column of the model: predicted class index (double)");
        this.probabilityCol = new Param<>(this, "probabilityCol",
                "output column of the model: class probabilities (vector)");
        this.numClasses = new IntParam(this, "numClasses", "number of classes, or 0 for 1 + the largest label",
                ParamValidators.gtEq(0));
        this.modelType = new Param<>(this, "modelType", "network family: " + String.join(" | ", keys(JobSpec.ModelType.class)),
                ParamValidators.inArray(keys(JobSpec.ModelType.class)));
        this.modelFile = new Param<>(this, "modelFile",
                "modelType = file: a DL4J configuration JSON or model zip (local path or Hadoop URI); any network"
                        + " of one input and one output, MultiLayerNetwork or ComputationGraph");
        this.hiddenLayers = new IntArrayParam(this, "hiddenLayers",
                "widths of the hidden dense layers, each followed by BatchNorm and the activation");
        this.convChannels = new IntArrayParam(this, "convChannels",
                "cnn: output channels of each convolution block (square single-channel image inputs)");
        this.convKernel = new IntParam(this, "convKernel", "cnn: convolution kernel size",
                ParamValidators.inRange(1, 99));
        this.activation = new Param<>(this, "activation",
                "hidden activation: " + String.join(" | ", keys(JobSpec.Activation.class)),
                ParamValidators.inArray(keys(JobSpec.Activation.class)));
        this.bnMode = new Param<>(this, "bnMode",
                "where BatchNorm takes its batch statistics: local | sync | group:G | ghost:g", new ValidBnMode());
        this.bnDecay = new DoubleParam(this, "bnDecay",
                "weight of the old value in the BatchNorm running statistics, in [0, 1)",
                ParamValidators.inRange(0, 1, true, false));
        this.workers = new IntParam(this, "workers", "number of workers (barrier tasks)", ParamValidators.gtEq(1));
        this.batchPerWorker = new IntParam(this, "batchPerWorker", "rows per worker per step", ParamValidators.gtEq(1));
        this.epochs = new IntParam(this, "epochs", "passes over the training data", ParamValidators.gtEq(1));
        this.stepsPerRound = new IntParam(this, "stepsPerRound",
                "steps each worker takes between two merges",
                ParamValidators.gtEq(1));
        this.sync = new Param<>(this, "sync", "what keeps the workers in step: parameters (averaged every"
                + " stepsPerRound steps) | gradients (all-reduced every step: each step is on the global batch)",
                ParamValidators.inArray(keys(JobSpec.SyncMode.class)));
        this.optimizer = new Param<>(this, "optimizer", "updater: " + String.join(" | ", keys(JobSpec.Updater.class)),
                ParamValidators.inArray(keys(JobSpec.Updater.class)));
        this.learningRate = new DoubleParam(this, "learningRate", "learning rate (> 0)", ParamValidators.gt(0));
        this.l2 = new DoubleParam(this, "l2", "L2 weight decay on weights (>= 0)", ParamValidators.gtEq(0));
        this.seed = new LongParam(this, "seed", "seed of weight init and data order");
        this.dtype = new Param<>(this, "dtype", "network precision: " + String.join(" | ", keys(JobSpec.Dtype.class)),
                ParamValidators.inArray(keys(JobSpec.Dtype.class)));
        setDefault(featuresCol, "features");
        setDefault(labelCol, "label");
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
        setDefault(numClasses, 0);
        setDefault(modelType, "mlp");
        setDefault(modelFile, "");
        setDefault(hiddenLayers, new int[] {64});
        setDefault(convChannels, new int[] {32, 64});
        setDefault(convKernel, 3);
        setDefault(activation, "relu");
        setDefault(bnMode, "sync");
        setDefault(bnDecay, 0.9);
        setDefault(workers, 2);
        setDefault(batchPerWorker, 32);
        setDefault(epochs, 5);
        setDefault(stepsPerRound, 10);
        setDefault(sync, "parameters");
        setDefault(optimizer, "adam");
        setDefault(learningRate, 1e-3);
        setDefault(l2, 0.0);
        setDefault(seed, 42L);
        setDefault(dtype, "float");
    }

    public SyncBnClassifier() {
        this(Identifiable.randomUID("syncBnClassifier"));
    }

    @Override
    public String uid() {
        return uid;
    }

    // ---- params: Spark finds them through these public no-argument methods -------------------

    public Param<String> featuresCol() { return featuresCol; }
    public Param<String> labelCol() { return labelCol; }
    public Param<String> predictionCol() { return predictionCol; }
    public Param<String> probabilityCol() { return probabilityCol; }
    public IntParam numClasses() { return numClasses; }
    public Param<String> modelType() { return modelType; }
    public Param<String> modelFile() { return modelFile; }
    public IntArrayParam hiddenLayers() { return hiddenLayers; }
    public IntArrayParam convChannels() { return convChannels; }
    public IntParam convKernel() { return convKernel; }
    public Param<String> activation() { return activation; }
    public Param<String> bnMode() { return bnMode; }
    public DoubleParam bnDecay() { return bnDecay; }
    public IntParam workers() { return workers; }
    public IntParam batchPerWorker() { return batchPerWorker; }
    public IntParam epochs() { return epochs; }
    public IntParam stepsPerRound() { return stepsPerRound; }
    public Param<String> sync() { return sync; }
    public Param<String> optimizer() { return optimizer; }
    public DoubleParam learningRate() { return learningRate; }
    public DoubleParam l2() { return l2; }
    public LongParam seed() { return seed; }
    public Param<String> dtype() { return dtype; }

    public String getFeaturesCol() { return getOrDefault(featuresCol); }
    public String getLabelCol() { return getOrDefault(labelCol); }
    public String getPredictionCol() { return getOrDefault(predictionCol); }
    public String getProbabilityCol() { return getOrDefault(probabilityCol); }
    public int getNumClasses() { return (Integer) getOrDefault(numClasses); }
    public String getModelType() { return getOrDefault(modelType); }
    public String getModelFile() { return getOrDefault(modelFile); }
    public int[] getHiddenLayers() { return getOrDefault(hiddenLayers); }
    public int[] getConvChannels() { return getOrDefault(convChannels); }
    public int getConvKernel() { return (Integer) getOrDefault(convKernel); }
    public String getActivation() { return getOrDefault(activation); }
    public String getBnMode() { return getOrDefault(bnMode); }
    public double getBnDecay() { return (Double) getOrDefault(bnDecay); }
    public int getWorkers() { return (Integer) getOrDefault(workers); }
    public int getBatchPerWorker() { return (Integer) getOrDefault(batchPerWorker); }
    public int getEpochs() { return (Integer) getOrDefault(epochs); }
    public int getStepsPerRound() { return (Integer) getOrDefault(stepsPerRound); }
    public String getSync() { return getOrDefault(sync); }
    public String getOptimizer() { return getOrDefault(optimizer); }
    public double getLearningRate() { return (Double) getOrDefault(learningRate); }
    public double getL2() { return (Double) getOrDefault(l2); }
    public long getSeed() { return (Long) getOrDefault(seed); }
    public String getDtype() { return getOrDefault(dtype); }

    public SyncBnClassifier setFeaturesCol(String v) { set(featuresCol, v); return this; }
    public SyncBnClassifier setLabelCol(String v) { set(labelCol, v); return this; }
    public SyncBnClassifier setPredictionCol(String v) { set(predictionCol, v); return this; }
    public SyncBnClassifier setProbabilityCol(String v) { set(probabilityCol, v); return this; }
    public SyncBnClassifier setNumClasses(int v) { set(numClasses, v); return this; }
    public SyncBnClassifier setModelType(String v) { set(modelType, v); return this; }
    public SyncBnClassifier setModelFile(String v) { set(modelFile, v); return this; }
    public SyncBnClassifier setHiddenLayers(int... v) { set(hiddenLayers, v); return this; }
    public SyncBnClassifier setConvChannels(int... v) { set(convChannels, v); return this; }
    public SyncBnClassifier setConvKernel(int v) { set(convKernel, v); return this; }
    public SyncBnClassifier setActivation(String v) { set(activation, v); return this; }
    public SyncBnClassifier setBnMode(String v) { set(bnMode, v); return this; }
    public SyncBnClassifier setBnDecay(double v) { set(bnDecay, v); return this; }
    public SyncBnClassifier setWorkers(int v) { set(workers, v); return this; }
    public SyncBnClassifier setBatchPerWorker(int v) { set(batchPerWorker, v); return this; }
    public SyncBnClassifier setEpochs(int v) { set(epochs, v); return this; }
    public SyncBnClassifier setStepsPerRound(int v) { set(stepsPerRound, v); return this; }
    public SyncBnClassifier setSync(String v) { set(sync, v); return this; }
    public SyncBnClassifier setOptimizer(String v) { set(optimizer, v); return this; }
    public SyncBnClassifier setLearningRate(double v) { set(learningRate, v); return this; }
    public SyncBnClassifier setL2(double v) { set(l2, v); return this; }
    public SyncBnClassifier setSeed(long v) { set(seed, v); return this; }
    public SyncBnClassifier setDtype(String v) { set(dtype, v); return this; }

    // ---- Estimator ---------------------------------------------------------------------------

    @Override
    public StructType transformSchema(StructType schema) {
        StageSchema.requireVector(schema, getFeaturesCol());
        StageSchema.requireNumeric(schema, getLabelCol());
        return StageSchema.withOutputs(schema, getPredictionCol(), getProbabilityCol());
    }

    @Override
    public SyncBnClassificationModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        Dataset<Row> df = dataset.toDF();
        int classes = classes(df);
        JobSpec spec = jobSpec(classes);
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(df.sparkSession().sparkContext());
        FeatureColumns cols = FeatureColumns.of("training data", df.schema(), List.of(getFeaturesCol()), getLabelCol(),
                List.of());
        JavaRDD<LabeledVector> rows = cols.examples(df, classes);
        JavaRDD<Shard> shards = RowShards.of(rows, spec.train().workers(), classes, 0, spec.seed(), true);
        try {
            Network net = TrainingRun.of(sc, spec).onShards(shards).afterEachRound((report, state) -> LOG.info(
                    "{}: epoch {} round {}: loss {}", uid, report.epoch() + 1, report.round() + 1, report.meanLoss()))
                    .run().network();
            SyncBnClassificationModel model = new SyncBnClassificationModel(uid, TrainedNetwork.of(net));
            return copyValues(model, ParamMap.empty()).setParent(this);
        } finally {
            shards.unpersist(false);
        }
    }

    /** The job spec these params describe: a job's defaults with the params' keys, checked by the job rules. */
    JobSpec jobSpec(int classes) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("name", uid);
        keys.put("seed", getSeed());
        keys.put("dtype", getDtype());
        keys.put("data.numClasses", classes);
        keys.put("model.type", getModelType());
        keys.put("model.file", getModelFile());
        keys.put("model.hidden", list(getHiddenLayers()));
        keys.put("model.convChannels", list(getConvChannels()));
        keys.put("model.convKernel", getConvKernel());
        keys.put("model.activation", getActivation());
        keys.put("bn.mode", BnMode.parse(getBnMode()));
        keys.put("bn.decay", getBnDecay());
        keys.put("train.workers", getWorkers());
        keys.put("train.batchPerWorker", getBatchPerWorker());
        keys.put("train.epochs", getEpochs());
        keys.put("train.stepsPerRound", getStepsPerRound());
        keys.put("train.sync", getSync());
        keys.put("optim.updater", getOptimizer());
        keys.put("optim.lr", getLearningRate());
        keys.put("optim.l2", getL2());
        return JobSpecLoader.override(JobSpecLoader.defaultSpec(), keys, "SyncBnClassifier params");
    }

    /**
     * The number of classes, after checking every label on the driver in one aggregation, so a bad
     * label fails here naming its value instead of inside a training task.
     */
    private int classes(Dataset<Row> df) {
        String name = getLabelCol();
        Column label = functions.col(name).cast("double");
        Row r = df.agg(functions.count(functions.lit(1)), functions.count(label), functions.min(label),
                functions.max(label), functions.min(functions.when(label.notEqual(functions.floor(label)), label)))
                .first();
        long rows = r.getLong(0);
        if (rows == 0) {
            throw new IllegalArgumentException("the training data has no rows: expected labelled examples");
        }
        if (r.getLong(1) != rows) {
            throw new IllegalArgumentException("column '" + name + "' has " + (rows - r.getLong(1))
                    + " null values: expected a class index in every row");
        }
        if (!r.isNullAt(4)) {
            throw new IllegalArgumentException("column '" + name + "' holds " + r.getDouble(4)
                    + ": expected whole class indices 0, 1, ...");
        }
        if (r.getDouble(2) < 0) {
            throw new IllegalArgumentException("column '" + name + "' holds " + r.getDouble(2)
                    + ": expected class indices >= 0");
        }
        int max = (int) r.getDouble(3);
        if (getNumClasses() > 0 && max >= getNumClasses()) {
            throw new IllegalArgumentException("column '" + name + "' holds " + r.getDouble(3)
                    + ": expected class indices < numClasses = " + getNumClasses());
        }
        return getNumClasses() > 0 ? getNumClasses() : Math.max(2, max + 1);
    }

    private static List<Integer> list(int[] values) {
        return Arrays.stream(values).boxed().toList();
    }

    /** The keys of a job choice, for a param's validator: the allowed values come from the spec. */
    private static String[] keys(Class<? extends JobSpec.Choice> choice) {
        return Arrays.stream(choice.getEnumConstants()).map(JobSpec.Choice::key).toArray(String[]::new);
    }

    /** Accepts what {@link BnMode#parse} accepts. */
    private static final class ValidBnMode extends AbstractFunction1<String, Object> implements Serializable {
        @Override
        public Object apply(String mode) {
            try {
                BnMode.parse(mode);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
    }

    @Override
    public SyncBnClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    public static MLReader<SyncBnClassifier> read() {
        return new DefaultParamsReader<>();
    }

    public static SyncBnClassifier load(String path) {
        return read().load(path);
    }
}
