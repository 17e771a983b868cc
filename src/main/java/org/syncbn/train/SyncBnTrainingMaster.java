package org.syncbn.train;

import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.core.storage.StatsStorageRouter;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.api.TrainingResult;
import org.deeplearning4j.spark.api.TrainingWorker;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.syncbn.bn.BnMode;
import org.syncbn.data.DataSetShards;
import org.syncbn.data.Shard;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.network.InputLayout;
import org.syncbn.network.MultiIo;
import org.syncbn.network.Network;
import org.syncbn.store.Json;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A dl4j-spark {@link TrainingMaster} running this project's round loop, so that
 * {@code new SparkDl4jMultiLayer(sc, conf, master).fit(rdd)} trains one epoch with W barrier
 * workers, K steps per round and the exact merge of parameters, updater state and BN running
 * statistics. Example i of the RDD goes to worker i mod W.
 *
 * <p>Supported: {@code SparkDl4jMultiLayer.fit(JavaRDD<DataSet>)}, {@code SparkComputationGraph.fit(JavaRDD<DataSet>)}
 * and, for graphs of several inputs or outputs, {@code fitMultiDataSet(JavaRDD<MultiDataSet>)} (no mask
 * arrays). Not supported (each throws with the reason): path-based fitting, dl4j-spark's worker hooks,
 * listeners and training stats, which live inside dl4j-spark's own worker model that this master replaces.
 */
public final class SyncBnTrainingMaster implements TrainingMaster<TrainingResult, TrainingWorker<TrainingResult>> {
    private final int workers;
    private final int batchPerWorker;
    private final int stepsPerRound;
    private final long seed;
    private final boolean shuffle;
    private final int threadsPerWorker;
    private final BnMode bnMode;
    private final JobSpec.SyncMode sync;
    private final int timeoutSec;

    private SyncBnTrainingMaster(Builder b) {
        this.bnMode = b.bnMode;
        this.sync = b.sync;
        this.timeoutSec = b.timeoutSec;
        this.workers = b.workers;
        this.batchPerWorker = b.batchPerWorker;
        this.stepsPerRound = b.stepsPerRound;
        this.seed = b.seed;
        this.shuffle = b.shuffle;
        this.threadsPerWorker = b.threadsPerWorker;
    }

    /**
     * Builder: W workers with {@code batchPerWorker} examples per step each. Unset settings are a job's
     * defaults (conf/defaults.conf), except two that make the master exact unless told otherwise: one
     * merge per step ({@code stepsPerRound = 1}) and synchronized BN ({@code bnMode = sync}).
     */
    public static final class Builder {
        private final int workers;
        private final int batchPerWorker;
        private int stepsPerRound = 1;
        private BnMode bnMode = BnMode.parse("sync");
        private JobSpec.SyncMode sync;
        private long seed;
        private boolean shuffle;
        private int threadsPerWorker;
        private int timeoutSec;

        public Builder(int workers, int batchPerWorker) {
            if (workers < 1 || batchPerWorker < 1) {
                throw new IllegalArgumentException("workers and batchPerWorker must be >= 1");
            }
            this.workers = workers;
            this.batchPerWorker = batchPerWorker;
            JobSpec defaults = JobSpecLoader.defaultSpec();
            this.seed = defaults.seed();
            this.shuffle = defaults.data().shuffle();
            this.threadsPerWorker = defaults.train().threadsPerWorker();
            this.timeoutSec = defaults.collective().timeoutSec();
            this.sync = defaults.train().sync();
        }

        /** K: steps per round between merges (default 1). */
        public Builder stepsPerRound(int k) {
            if (k < 1) {
                throw new IllegalArgumentException("stepsPerRound must be >= 1, got " + k);
            }
            this.stepsPerRound = k;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Reshuffle each worker's shard every epoch (a job's data.shuffle by default). */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Native threads per worker; 0 (a job's default) = automatic, as train.threadsPerWorker. */
        public Builder threadsPerWorker(int threads) {
            this.threadsPerWorker = threads;
            return this;
        }

        /**
         * How SyncBatchNormalization layers share statistics: sync (default) or group:G. Networks
         * with DL4J's own BatchNormalization train with local statistics whatever this says.
         */
        public Builder bnMode(String mode) {
            BnMode m = BnMode.parse(mode);
            if (m.kind() == BnMode.Kind.GROUP && workers % m.size() != 0) {
                throw new IllegalArgumentException("bn mode " + m + " needs a worker count divisible by " + m.size());
            }
            this.bnMode = m;
            return this;
        }

        /**
         * What keeps the workers in step (a job's train.sync): {@code parameters}, averaged after every
         * round of K steps (exact for K = 1 and plain SGD), or {@code gradients}, all-reduced before
         * every step (every step is the optimizer's step on the global batch, for any K and updater).
         */
        public Builder sync(String mode) {
            String m = mode.trim().toLowerCase(java.util.Locale.ROOT);
            for (JobSpec.SyncMode s : JobSpec.SyncMode.values()) {
                if (s.key().equals(m)) {
                    this.sync = s;
                    return this;
                }
            }
            throw new IllegalArgumentException("sync mode '" + mode + "': expected parameters or gradients");
        }

        /** Seconds a worker waits for its peers in a collective before failing its task (a job's collective.timeoutSec by default). */
        public Builder collectiveTimeoutSec(int seconds) {
            if (seconds < 1) {
                throw new IllegalArgumentException("collective timeout must be >= 1 s, got " + seconds);
            }
            this.timeoutSec = seconds;
            return this;
        }

        public SyncBnTrainingMaster build() {
            return new SyncBnTrainingMaster(this);
        }
    }

    @Override
    public void executeTraining(SparkDl4jMultiLayer network, JavaRDD<DataSet> trainingData) {
        train(network.getSparkContext(), Network.of(network.getNetwork()), trainingData);
    }

    @Override
    public void executeTraining(SparkComputationGraph graph, JavaRDD<DataSet> trainingData) {
        train(graph.getSparkContext(), Network.of(graph.getNetwork()), trainingData);
    }

    /** Several inputs or outputs: each example's arrays travel flat and are split again for the graph. */
    @Override
    public void executeTrainingMDS(SparkComputationGraph graph, JavaRDD<MultiDataSet> trainingData) {
        MultiIo io = MultiIo.of(trainingData.first());
        JavaRDD<Shard> shards = DataSetShards.ofMulti(trainingData, workers);
        try {
            TrainingRun.of(graph.getSparkContext(), spec()).onShards(shards)
                    .continuing(Network.of(graph.getNetwork()).withMultiIo(io)).run();
        } finally {
            shards.unpersist(false);
        }
    }

    /** One epoch of {@code network} itself on {@code data}, which holds examples in the network's own input shape. */
    private void train(JavaSparkContext sc, Network network, JavaRDD<DataSet> data) {
        long[] shape = data.first().getFeatures().shape();
        InputLayout layout = switch (shape.length) {
            case 2 -> InputLayout.FLAT;
            // flattened per example in C order, so reshaping to the example's own shape restores it exactly
            case 4 -> InputLayout.image(InputLayout.Kind.NCHW, (int) shape[1], (int) shape[2], (int) shape[3]);
            default -> throw new IllegalArgumentException("SyncBnTrainingMaster trains on features of rank 2 or 4,"
                    + " got shape " + java.util.Arrays.toString(shape));
        };
        JavaRDD<Shard> shards = DataSetShards.of(data, workers);
        try {
            TrainingRun.of(sc, spec()).onShards(shards).continuing(network.withInputLayout(layout)).run();
        } finally {
            shards.unpersist(false);
        }
    }

    /** The job these settings describe: one epoch per {@code fit}, everything else a job's defaults. */
    JobSpec spec() {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("name", "dl4j-spark");
        keys.put("train.epochs", 1);
        keys.put("train.workers", workers);
        keys.put("train.batchPerWorker", batchPerWorker);
        keys.put("train.stepsPerRound", stepsPerRound);
        keys.put("seed", seed);
        keys.put("data.shuffle", shuffle);
        keys.put("train.threadsPerWorker", threadsPerWorker);
        keys.put("bn.mode", bnMode);
        keys.put("train.sync", sync);
        keys.put("collective.timeoutSec", timeoutSec);
        return JobSpecLoader.override(JobSpecLoader.defaultSpec(), keys, "SyncBnTrainingMaster");
    }

    @Override
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", getClass().getName());
        m.put("workers", workers);
        m.put("batchPerWorker", batchPerWorker);
        m.put("stepsPerRound", stepsPerRound);
        m.put("seed", seed);
        m.put("shuffle", shuffle);
        m.put("threadsPerWorker", threadsPerWorker);
        m.put("bnMode", bnMode.toString());
        m.put("sync", sync.key());
        m.put("collectiveTimeoutSec", timeoutSec);
        return Json.line(m);
    }

    @Override
    public String toYaml() {
        StringBuilder sb = new StringBuilder();
        try {
            Json.mapper().readTree(toJson()).fields()
                    .forEachRemaining(e -> sb.append(e.getKey()).append(": ").append(e.getValue().asText()).append('\n'));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return sb.toString();
    }

    @Override
    public boolean deleteTempFiles(JavaSparkContext sc) {
        return true;   // this master writes no temporary files
    }

    @Override
    public boolean deleteTempFiles(SparkContext sc) {
        return true;
    }

    @Override
    public void executeTrainingPaths(SparkDl4jMultiLayer network, SparkComputationGraph graph,
                                     JavaRDD<String> trainingDataPaths, DataSetLoader dsLoader,
                                     MultiDataSetLoader mdsLoader) {
        throw unsupported("fitPaths (load the DataSets into a JavaRDD<DataSet> and call fit)");
    }

    @Override
    public TrainingWorker<TrainingResult> getWorkerInstance(SparkDl4jMultiLayer network) {
        throw unsupported("dl4j-spark's worker model (this master runs its own barrier-stage workers)");
    }

    @Override
    public TrainingWorker<TrainingResult> getWorkerInstance(SparkComputationGraph graph) {
        throw unsupported("dl4j-spark's worker model (this master runs its own barrier-stage workers)");
    }

    @Override
    public void addHook(TrainingHook trainingHook) {
        throw unsupported("dl4j-spark training hooks");
    }

    @Override
    public void removeHook(TrainingHook trainingHook) {
        throw unsupported("dl4j-spark training hooks");
    }

    @Override
    public void setCollectTrainingStats(boolean collectTrainingStats) {
        if (collectTrainingStats) {
            throw unsupported("dl4j-spark training stats");
        }
    }

    @Override
    public boolean getIsCollectTrainingStats() {
        return false;
    }

    @Override
    public SparkTrainingStats getTrainingStats() {
        return null;
    }

    @Override
    public void setListeners(Collection<TrainingListener> listeners) {
        if (listeners != null && !listeners.isEmpty()) {
            throw unsupported("worker TrainingListeners");
        }
    }

    @Override
    public void setListeners(StatsStorageRouter router, Collection<TrainingListener> listeners) {
        setListeners(listeners);
    }

    private static UnsupportedOperationException unsupported(String what) {
        return new UnsupportedOperationException(SyncBnTrainingMaster.class.getSimpleName() + " does not support " + what);
    }
}
