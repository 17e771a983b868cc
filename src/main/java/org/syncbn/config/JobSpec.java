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
        RetrainSpec retrain,
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

    /**
     * @param preciseExamples PreciseBN after training over this many training examples (0 = off)
     */
    public record BnSpec(String mode, double decay, double eps, boolean useLogStd, long preciseExamples)
            implements Serializable {}

    public record TrainSpec(int workers, int batchPerWorker, int epochs, int stepsPerRound,
                            int evalEveryEpochs, int roundAttempts, int threadsPerWorker) implements Serializable {}

    /**
     * The optimizer and its learning-rate rule (model.LearningRateSchedule has the formulas).
     *
     * @param lr           base learning rate, for a global batch of {@code baseBatch}
     * @param lrScaling    none | linear | sqrt: how the rate grows with the global batch
     * @param baseBatch    the global batch {@code lr} is meant for
     * @param warmupEpochs epochs of linear warmup from lr to the scaled rate (0 = none)
     * @param decay        none | step | cosine, after warmup
     * @param decayFactor  step decay's factor per boundary
     * @param decayEpochs  step decay's boundaries, in epochs
     */
    public record OptimSpec(String updater, double lr, double momentum, double l2, String lrScaling, int baseBatch,
                            double warmupEpochs, String decay, double decayFactor, List<Double> decayEpochs)
            implements Serializable {

        /** Whether the rate changes over the run (otherwise it is the constant {@code lr}). */
        public boolean hasSchedule() {
            return !lrScaling.equals("none") || warmupEpochs > 0 || !decay.equals("none");
        }
    }

    public record CheckpointSpec(int everyRounds) implements Serializable {}

    /**
     * @param master      Spark master for embedded runs ("" = local[W])
     * @param slotWaitSec how long a round waits for W task slots before the job fails
     */
    public record SparkSpec(String master, int slotWaitSec) implements Serializable {}

    public record CollectiveSpec(int timeoutSec, Rendezvous rendezvous) implements Serializable {}

    /**
     * How the workers of a round find each other before opening direct sockets: through a small
     * rendezvous server on the driver (milliseconds), or one Spark barrier allGather (~1 s).
     */
    public enum Rendezvous { DRIVER, BARRIER }

    /**
     * Scheduled retraining ({@code syncbn retrain}); ignored by {@code syncbn train}.
     *
     * @param registry        model registry root: a local directory or a Hadoop FileSystem URI
     * @param model           the model's name in the registry ("" = the job's name)
     * @param snapshotRoot    directory whose sub-directories are data snapshots
     * @param snapshotPattern "" = the newest (greatest-named) snapshot; else a sub-directory name with
     *                        {@code {DateTimeFormatter pattern}} placeholders resolved for the run date
     * @param holdoutDir      directory of the holdout (test) files; "" = the snapshot's own test files
     * @param maxRegression   how much holdout accuracy a candidate may lose against CURRENT and still be promoted
     * @param lockStaleSec    a lock whose holder has not refreshed it for this long is stale
     */
    public record RetrainSpec(String registry, String model, String snapshotRoot, String snapshotPattern,
                              String holdoutDir, double maxRegression, int lockStaleSec) implements Serializable {}

    /** The BN mode, parsed. */
    public org.syncbn.bn.BnMode bnMode() {
        return org.syncbn.bn.BnMode.parse(bn.mode());
    }

    /** Global SGD batch: examples consumed by all workers together in one step. */
    public int globalBatch() {
        return train.workers() * train.batchPerWorker();
    }
}
