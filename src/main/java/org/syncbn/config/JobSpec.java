package org.syncbn.config;

import org.syncbn.bn.BnMode;
import org.syncbn.config.Rule.Bounds;
import org.syncbn.config.Rule.Expected;
import org.syncbn.config.Rule.Interval;
import org.syncbn.config.Rule.Matching;
import org.syncbn.config.Rule.NonEmpty;
import org.syncbn.config.Rule.Sizes;

import java.io.Serializable;
import java.util.List;

/**
 * A validated, immutable training job: every key of conf/defaults.conf, typed. A record component
 * is the key of the same name (sections are nested records); its type and {@link Rule} annotations
 * are the key's rules; conf/defaults.conf holds each key's default and documentation. Built by
 * {@link JobSpecLoader} from HOCON, or from typed values ({@link JobSpecLoader#override}).
 */
public record JobSpec(
        @Matching(regex = NAME, expected = "a non-empty string of letters, digits, '.', '_' or '-'") String name,
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
        RetrainSpec retrain) implements Serializable {

    static final String NAME = "[A-Za-z0-9._-]+";

    /** Checks between keys (each key's own rules are checked as it is read). */
    public JobSpec {
        if (data.isTable()) {
            if (data.trainFile().isEmpty()) {
                throw new SpecException("data.trainFile is empty: data.format = " + data.format().key()
                        + " needs the training file's name");
            }
            if (data.testFile().isEmpty()) {
                throw new SpecException("data.testFile is empty: data.format = " + data.format().key()
                        + " needs the test file's name");
            }
        }
        if (bn.mode().kind() == BnMode.Kind.GROUP && train.workers() % bn.mode().size() != 0) {
            throw new SpecException("bn.mode = " + bn.mode() + " needs train.workers divisible by " + bn.mode().size()
                    + ", but train.workers = " + train.workers());
        }
    }

    /** The exact text of this spec: every key, canonical values, sorted (what checkpoints and provenance record). */
    public String resolvedHocon() {
        return SpecBinder.render(this);
    }

    /** Global SGD batch: examples consumed by all workers together in one step. */
    public int globalBatch() {
        return train.workers() * train.batchPerWorker();
    }

    /** A choice among named values: the key's value is the constant's name in lower case. */
    public interface Choice {
        String name();

        /** How the value is written in a job file. */
        default String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public enum Dtype implements Choice { FLOAT, DOUBLE }

    public enum DataFormat implements Choice { IDX, CIFAR, CSV, LIBSVM, PARQUET }

    /** Which label of a CIFAR-100 record to train on: the 100 fine classes or the 20 coarse superclasses. */
    public enum CifarLabels implements Choice { FINE, COARSE }

    public enum ModelType implements Choice { MLP, CNN, RESNET, ZOO, FILE }

    /** The deeplearning4j-zoo architectures a job can build (random initialisation; the data's shape and classes). */
    public enum ZooName implements Choice { RESNET50, SQUEEZENET, DARKNET19, SIMPLECNN, LENET }

    public enum Activation implements Choice { RELU, TANH, SIGMOID, LEAKYRELU, ELU }

    public enum WeightInit implements Choice { XAVIER, RELU, UNIFORM }

    public enum Updater implements Choice { SGD, NESTEROVS, ADAM }

    /** How the learning rate grows with the global batch (model.LearningRateSchedule has the formulas). */
    public enum LrScaling implements Choice { NONE, LINEAR, SQRT }

    public enum LrDecay implements Choice { NONE, STEP, COSINE }

    /**
     * What the workers keep in step: PARAMETERS, averaged after every round of K local steps (local
     * SGD; exact large-batch SGD only for K = 1 and plain SGD); GRADIENTS, all-reduced before every
     * optimizer step, so each step is the optimizer's step on the global batch for any K and updater.
     */
    public enum SyncMode implements Choice { PARAMETERS, GRADIENTS }

    /**
     * How a training step updates a BN layer's running (inference) statistics: DL4J's rule, one
     * exponential-average update per normalisation batch with its biased variance M2/n; or POPULATION,
     * one update per step with the unbiased estimate M2/(N − 1) of all the step's normalisation batches
     * together (org.syncbn.bn.BnStatistics#populationAfter).
     */
    public enum RunningStats implements Choice { DL4J, POPULATION }

    /**
     * How the workers of a round find each other before opening direct sockets: through a small
     * rendezvous server on the driver (milliseconds), or one Spark barrier allGather (~1 s).
     */
    public enum Rendezvous implements Choice { DRIVER, BARRIER }

    /**
     * Where the examples come from. {@code idx} reads the four image/label files; {@code cifar} the
     * CIFAR-10 or CIFAR-100 binary files found by name in {@code dir}; the table formats (csv,
     * libsvm, parquet) read {@code trainFile}/{@code testFile}, taking the label from
     * {@code labelCol} and the features from {@code featureCols} (empty: every other column).
     *
     * @param imageShape  [C, H, W] of every example's image, features in CHW order; [] = the format's
     *                    own shape (idx: [1, rows, cols], cifar: [3, 32, 32]), flat features for tables
     * @param cifarLabels cifar: which label of a CIFAR-100 record is the class
     */
    public record DataSpec(
            DataFormat format,
            @NonEmpty String dir,
            @NonEmpty String trainImages,
            @NonEmpty String trainLabels,
            @NonEmpty String testImages,
            @NonEmpty String testLabels,
            String trainFile,
            String testFile,
            @Expected("a list of column names, e.g. [\"x1\", \"x2\"] (or [] for all)") List<String> featureCols,
            @NonEmpty String labelCol,
            @Bounds(min = 1) @Sizes({0, 3})
            @Expected("[] or [C, H, W]: three integers >= 1, e.g. [3, 32, 32]") List<Integer> imageShape,
            CifarLabels cifarLabels,
            @Bounds(min = 2) int numClasses,
            @Expected("a list of names, one per class from class 0, e.g. [\"cat\", \"dog\"] (or [] for the default)")
            List<String> classNames,
            boolean shuffle,
            @Bounds(min = 0) int maxTrainExamples,
            @Bounds(min = 0) int maxTestExamples) implements Serializable {

        /** The CIFAR binary format's own image shape, [C, H, W]. */
        public static final List<Integer> CIFAR_SHAPE = List.of(3, 32, 32);

        /** Checks between data keys (each key's own rules are checked as it is read). */
        public DataSpec {
            long features = 1;
            for (int n : imageShape) {
                features *= n;
            }
            // one example's features are one Java array row: C*H*W must be an int
            if (features > Integer.MAX_VALUE - 8) {
                throw new SpecException("data.imageShape = " + imageShape + ": " + features
                        + " features per example, expected at most " + (Integer.MAX_VALUE - 8));
            }
            if (!classNames.isEmpty() && classNames.size() != numClasses) {
                throw new SpecException("data.classNames has " + classNames.size() + " names, data.numClasses = "
                        + numClasses + ": expected " + numClasses + " names (class 0 first), or [] for the default");
            }
            for (int c = 0; c < classNames.size(); c++) {
                if (classNames.get(c).isBlank()) {
                    throw new SpecException("data.classNames: the name of class " + c + " is blank: expected a name");
                }
            }
            if (format == DataFormat.CIFAR && !imageShape.isEmpty() && !imageShape.equals(CIFAR_SHAPE)) {
                throw new SpecException("data.imageShape = " + imageShape + ": data.format = cifar images are "
                        + CIFAR_SHAPE + ": expected [] or " + CIFAR_SHAPE);
            }
        }

        /** Whether the data is a table (csv, libsvm, parquet) rather than whole files (idx, cifar). */
        public boolean isTable() {
            return format == DataFormat.CSV || format == DataFormat.LIBSVM || format == DataFormat.PARQUET;
        }

        /** The same keys with the data files in {@code otherDir} (e.g. a holdout set). */
        public DataSpec withDir(String otherDir) {
            return new DataSpec(format, otherDir, trainImages, trainLabels, testImages, testLabels, trainFile,
                    testFile, featureCols, labelCol, imageShape, cifarLabels, numClasses, classNames, shuffle,
                    maxTrainExamples, maxTestExamples);
        }
    }

    public record ModelSpec(
            ModelType type,
            @NonEmpty @Bounds(min = 1) @Expected("a non-empty list of integers >= 1, e.g. [256, 128]") List<Integer> hidden,
            @NonEmpty @Bounds(min = 1) @Expected("a non-empty list of integers >= 1, e.g. [256, 128]")
            List<Integer> convChannels,
            @Bounds(min = 1, max = 99) int convKernel,
            Activation activation,
            WeightInit weightInit,
            @Bounds(min = 8, max = 1202) int depth,
            ZooName zoo,
            String file) implements Serializable {

        public ModelSpec {
            if (type == ModelType.RESNET && (depth - 2) % 6 != 0) {
                throw new SpecException("model.depth = " + depth + ": model.type = resnet needs a depth of 6n+2"
                        + " (8, 14, 20, 32, 44, 56, 110, ...)");
            }
            if (type == ModelType.FILE && file.isEmpty()) {
                throw new SpecException("model.file is empty: model.type = file needs the path or URI of a DL4J"
                        + " configuration JSON or model zip");
            }
        }
    }

    /**
     * @param precise PreciseBN after training (Wu &amp; Johnson 2021)
     */
    public record BnSpec(
            BnMode mode,
            @Interval(lo = 0, hi = 1, hiOpen = true) double decay,
            @Interval(lo = 0, loOpen = true) double eps,
            boolean useLogStd,
            RunningStats runningStats,
            PreciseSpec precise) implements Serializable {

        /** Whether the layers are SyncBatchNormalization: every mode but local, and local under the population rule. */
        public boolean usesSyncLayer() {
            return mode.usesSyncLayer() || runningStats == RunningStats.POPULATION;
        }

        /** The running statistics follow the population rule (a SyncBatchNormalization setting). */
        public boolean populationStatistics() {
            return runningStats == RunningStats.POPULATION;
        }

        /** Training examples to recompute the BN statistics over after training (0 = off). */
        public int preciseExamples() {
            return precise.examples();
        }
    }

    /** @param examples PreciseBN over this many training examples (0 = off) */
    public record PreciseSpec(@Bounds(min = 0) int examples) implements Serializable {}

    public record TrainSpec(
            @Bounds(min = 1, max = 4096) int workers,
            @Bounds(min = 1) int batchPerWorker,
            @Bounds(min = 1) int epochs,
            @Bounds(min = 1) int stepsPerRound,
            @Bounds(min = 1) int evalEveryEpochs,
            @Bounds(min = 1, max = 100) int roundAttempts,
            @Bounds(min = 0, max = 1024) int threadsPerWorker,
            SyncMode sync) implements Serializable {}

    /**
     * The optimizer and its learning-rate rule (model.LearningRateSchedule has the formulas).
     *
     * @param lr           base learning rate, for a global batch of {@code baseBatch}
     * @param lrScaling    how the rate grows with the global batch
     * @param baseBatch    the global batch {@code lr} is meant for
     * @param warmupEpochs epochs of linear warmup from lr to the scaled rate (0 = none)
     * @param decay        after warmup
     * @param decayFactor  step decay's factor per boundary
     * @param decayEpochs  step decay's boundaries, in epochs
     */
    public record OptimSpec(
            Updater updater,
            @Interval(lo = 0, loOpen = true) @Expected("a finite number > 0") double lr,
            @Interval(lo = 0, hi = 1, hiOpen = true) double momentum,
            @Interval(lo = 0) double l2,
            LrScaling lrScaling,
            @Bounds(min = 1) int baseBatch,
            @Interval(lo = 0) double warmupEpochs,
            LrDecay decay,
            @Interval(lo = 0, hi = 1, loOpen = true) double decayFactor,
            @Interval(lo = 0) @Expected("a list of numbers >= 0, e.g. [30, 60, 80] (may be empty)")
            List<Double> decayEpochs) implements Serializable {

        /** Whether the rate changes over the run (otherwise it is the constant {@code lr}). */
        public boolean hasSchedule() {
            return lrScaling != LrScaling.NONE || warmupEpochs > 0 || decay != LrDecay.NONE;
        }
    }

    public record CheckpointSpec(@Bounds(min = 0) int everyRounds) implements Serializable {}

    /**
     * @param master      Spark master for embedded runs ("" = local[W])
     * @param slotWaitSec how long a round waits for W task slots before the job fails
     */
    public record SparkSpec(String master, @Bounds(min = 0, max = 86_400) int slotWaitSec) implements Serializable {}

    /**
     * @param encrypt AES-GCM-encrypt the frames between workers (otherwise only authenticated: a MAC on each)
     */
    public record CollectiveSpec(@Bounds(min = 1, max = 86_400) int timeoutSec, Rendezvous rendezvous, boolean encrypt)
            implements Serializable {}

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
    public record RetrainSpec(
            @NonEmpty String registry,
            @Matching(regex = "|[A-Za-z0-9_-][A-Za-z0-9._-]*",
                    expected = "\"\" (the job's name) or a string of letters, digits, '.', '_' or '-'") String model,
            String snapshotRoot,
            String snapshotPattern,
            String holdoutDir,
            @Interval(lo = 0, hi = 1) double maxRegression,
            @Bounds(min = 10, max = 7 * 86_400) int lockStaleSec) implements Serializable {}
}
