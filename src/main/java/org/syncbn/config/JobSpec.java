package org.syncbn.config;

import java.io.Serializable;
import java.util.List;

/**
 * A validated, immutable training job: every key of conf/defaults.conf, resolved.
 * Built only by {@link JobSpecLoader}; {@link #resolvedHocon()} is the exact text the
 * spec was resolved to (recorded in checkpoints and provenance).
 */
public record JobSpec(
        String name,
        long seed,
        Dtype dtype,
        DataSpec data,
        ModelSpec model,
        BnSpec bn,
        TrainSpec train,
        OptimSpec optim,
        CheckpointSpec checkpoint,
        SparkSpec spark,
        CollectiveSpec collective,
        String resolvedHocon) implements Serializable {

    public enum Dtype { FLOAT, DOUBLE }

    /**
     * Where the examples come from. {@code idx} reads the four image/label files; the table formats
     * (csv, libsvm, parquet) read {@code trainFile}/{@code testFile}, taking the label from
     * {@code labelCol} and the features from {@code featureCols} (empty: every other column).
     */
    public record DataSpec(String format, String dir, String trainImages, String trainLabels,
                           String testImages, String testLabels, String trainFile, String testFile,
                           List<String> featureCols, String labelCol, int numClasses, boolean shuffle,
                           int maxTrainExamples, int maxTestExamples) implements Serializable {

        /** Whether the data is a table (csv, libsvm, parquet) rather than IDX files. */
        public boolean isTable() {
            return !format.equals("idx");
        }
    }

    public record ModelSpec(String type, List<Integer> hidden, List<Integer> convChannels, int convKernel,
                            String activation, String weightInit) implements Serializable {}

    public record BnSpec(String mode, double decay, double eps, boolean useLogStd) implements Serializable {}

    public record TrainSpec(int workers, int batchPerWorker, int epochs, int stepsPerRound,
                            int evalEveryEpochs, int roundAttempts, int threadsPerWorker) implements Serializable {}

    public record OptimSpec(String updater, double lr, double momentum, double l2) implements Serializable {}

    public record CheckpointSpec(int everyRounds) implements Serializable {}

    /**
     * @param master      Spark master for embedded runs ("" = local[W])
     * @param slotWaitSec how long a round waits for W task slots before the job fails
     */
    public record SparkSpec(String master, int slotWaitSec) implements Serializable {}

    public record CollectiveSpec(int timeoutSec, String rendezvous) implements Serializable {}

    /** The BN mode, parsed. */
    public org.syncbn.bn.BnMode bnMode() {
        return org.syncbn.bn.BnMode.parse(bn.mode());
    }

    /** Global SGD batch: examples consumed by all workers together in one step. */
    public int globalBatch() {
        return train.workers() * train.batchPerWorker();
    }
}
