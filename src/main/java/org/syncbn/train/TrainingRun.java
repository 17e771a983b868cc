package org.syncbn.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.syncbn.bn.BnMode;
import org.syncbn.bn.SyncBatchNormalization;
import org.syncbn.collective.CollectiveSecurity;
import org.syncbn.collective.JobSecret;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.data.Shard;
import org.syncbn.data.ShardInfo;
import org.syncbn.data.ShardPlan;
import org.syncbn.data.ShardSource;
import org.syncbn.eval.EvalResult;
import org.syncbn.model.JobNetworks;
import org.syncbn.model.ModelInput;
import org.syncbn.network.Blueprint;
import org.syncbn.network.Network;
import org.syncbn.network.WarmStart;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.FileStore;
import org.syncbn.store.ModelExport;
import org.syncbn.worker.MeshJoin;
import org.syncbn.worker.NativeThreads;
import org.syncbn.worker.RoundConfig;
import org.syncbn.worker.WorkerNetworks;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The one wiring of a training run: spec → data → network → round loop → outputs. Every entry point
 * goes through here ({@code syncbn train}, sweeps, retrain, the Spark ML estimator, the dl4j-spark
 * {@link SyncBnTrainingMaster}); they differ only in what they hand in:
 * <ul>
 *   <li>data: the spec's own data source (training and test shards), or training shards made by the
 *       caller ({@link #onShards});</li>
 *   <li>network: built from the spec, warm-started from a stored model ({@link #warmStartFrom}),
 *       restored from a checkpoint ({@link #resume}), or the caller's own, trained in place from its
 *       epoch count ({@link #continuing});</li>
 *   <li>outputs: none, or an output directory ({@link #writingTo}) that gets evaluation at epoch ends,
 *       metrics.jsonl, checkpoints, model.zip and provenance.json.</li>
 * </ul>
 */
public final class TrainingRun {
    public static final String METRICS_FILE = "metrics.jsonl";

    private final JavaSparkContext sc;
    private final JobSpec spec;
    private JavaRDD<Shard> givenShards;
    private Network continuing;
    private Network warmStart;
    private String warmStartName;
    private String out;
    private boolean resume;
    private PrintStream progress = new PrintStream(OutputStream.nullOutputStream());
    private RoundListener afterRound = (r, s) -> { };
    private UnaryOperator<MeshJoin> join = UnaryOperator.identity();
    private java.util.List<String> command;
    private StopRequest stop = new StopRequest();

    private TrainingRun(JavaSparkContext sc, JobSpec spec) {
        this.sc = sc;
        this.spec = spec;
    }

    /** A run of {@code spec} on its own data, from a freshly built network, writing nothing. */
    public static TrainingRun of(JavaSparkContext sc, JobSpec spec) {
        return new TrainingRun(sc, spec);
    }

    /** Continues the run in {@code out} from its checkpoint, with the spec the checkpoint holds. */
    public static TrainingRun resume(JavaSparkContext sc, String out) {
        Checkpoint checkpoint = Checkpoint.read(FileStore.at(out, sc::hadoopConfiguration));
        TrainingRun run = new TrainingRun(sc, JobSpecLoader.fromResolved(checkpoint.specHocon()));
        run.out = out;
        run.resume = true;
        return run;
    }

    /** Trains on {@code shards} (one partition per worker, persisted by the caller) instead of the spec's data. */
    public TrainingRun onShards(JavaRDD<Shard> shards) {
        this.givenShards = shards;
        return this;
    }

    /**
     * Trains {@code network} itself (standard or SyncBN layers, as given) for {@code train.epochs}
     * epochs from its own epoch count; its parameters, updater state and iteration count hold the
     * result afterwards.
     */
    public TrainingRun continuing(Network network) {
        this.continuing = network;
        return this;
    }

    /** Starts from {@code model}'s parameters (same architecture) instead of a fresh initialisation. */
    public TrainingRun warmStartFrom(Network model, String name) {
        this.warmStart = model;
        this.warmStartName = name;
        return this;
    }

    /** Writes evaluations, metrics, checkpoints, model.zip and provenance.json to {@code out} (a path or URI). */
    public TrainingRun writingTo(String out) {
        this.out = out;
        return this;
    }

    /** Where the per-round progress lines go (nowhere unless given). */
    public TrainingRun progress(PrintStream progress) {
        this.progress = progress;
        return this;
    }

    /**
     * The command line provenance.json records (e.g. {@code syncbn train ...}); without it, the JVM's
     * own main class and arguments.
     */
    public TrainingRun invokedAs(java.util.List<String> commandLine) {
        this.command = java.util.List.copyOf(commandLine);
        return this;
    }

    /** Called on the driver after each round's own bookkeeping. */
    public TrainingRun afterEachRound(RoundListener listener) {
        this.afterRound = listener;
        return this;
    }

    /**
     * Stops at the next step boundary once {@code request} is made (its maker also cancels the Spark
     * jobs): {@link #run} then ends with {@link RunInterrupted}, no round re-run, no file half-written.
     */
    public TrainingRun stoppedBy(StopRequest request) {
        this.stop = request;
        return this;
    }

    /** Tests only: wraps how tasks join their round's collective (to inject a dying worker). */
    TrainingRun joiningThrough(UnaryOperator<MeshJoin> decorator) {
        this.join = decorator;
        return this;
    }

    /**
     * The end of a run.
     *
     * @param network     the trained network (the caller's own with {@link #continuing})
     * @param finalParams its final parameters (with PreciseBN statistics when the spec asks for them)
     * @param lastEval    the last evaluation on the test set, or null without outputs
     * @param rounds      rounds the run reached
     * @param model       where model.zip was written, or null without outputs
     */
    public record Result(Network network, double[] finalParams, EvalResult lastEval, int rounds, String model) {}

    public Result run() {
        FileStore store = out == null ? null : FileStore.at(out, sc::hadoopConfiguration);
        if (store != null && givenShards != null) {
            throw new IllegalStateException("a run on given shards has no test set to evaluate on: it writes no outputs");
        }
        DaemonBarrierTimer.install();   // local mode: Spark's barrier timer would keep the user's JVM alive
        Checkpoint checkpoint = resume ? Checkpoint.read(store) : null;
        if (store != null && checkpoint == null) {
            refuseToOverwrite(store);
        }
        if (store != null) {
            store.removeStaleTemps();   // a killed run's half-written files, before this one writes its own
        }
        int workers = spec.train().workers();
        int threads = spec.train().threadsPerWorker() > 0 ? spec.train().threadsPerWorker()
                : threadsPerWorker(sc, workers);
        NativeThreads.apply(threads);
        RunData data = givenShards != null ? RunData.given(givenShards) : RunData.of(sc, spec);
        String runId = checkpoint != null ? checkpoint.runId() : spec.name() + "-" + System.nanoTime();
        // the round a stop request finds the run in: the next one to run, or the one whose results are being written
        int[] inRound = {checkpoint != null ? checkpoint.nextRound() : 0};
        try {
            ShardInfo info = data.info(spec);
            ShardPlan plan = new ShardPlan(info.total(), workers, spec.train().batchPerWorker(), spec.seed(),
                    spec.data().shuffle());
            Network network = startNetwork(store, checkpoint, info, plan);
            // the initialised network's JSON: DL4J's reader needs its recorded parameter names to
            // keep a BatchNorm variance parameterisation (useLogStd) as configured
            Blueprint blueprint = network.blueprint();
            CollectiveSecurity security = new CollectiveSecurity(jobSecret(sc), spec.collective().encrypt());
            RoundConfig roundConfig = new RoundConfig(runId, blueprint, plan, threads, effectiveMode(network),
                    spec.train().sync(), join.apply(MeshJoin.tcp(Duration.ofSeconds(spec.collective().timeoutSec()), security)));
            RoundSchedule schedule = new RoundSchedule(plan.stepsPerEpoch(), spec.train().stepsPerRound());
            int firstEpoch = continuing != null ? continuing.epochCount() : 0;
            int startRound = checkpoint != null ? checkpoint.nextRound() : schedule.firstRound(firstEpoch);
            int endRound = schedule.firstRound(firstEpoch + spec.train().epochs());
            RunContext ctx = new RunContext(sc, spec, runId, blueprint, threads, schedule, endRound);

            RunOutputs outputs = store == null ? null : new RunOutputs(ctx, store, network, data.test(), progress,
                    checkpoint, startRound, command != null ? command : org.syncbn.store.Provenance.commandLine());
            RoundListener listener = new ProgressLines(progress, spec.train().epochs(), endRound);
            if (outputs != null) {
                listener = listener.then(outputs);
            }
            listener = listener.then(afterRound).then((report, state) -> inRound[0] = report.round() + 1);
            inRound[0] = startRound;
            TrainingState start = new TrainingState(network.params(), network.updaterState(), startRound);
            TrainingState end = new RoundLoop(sc, roundConfig, schedule, network, spec, security)
                    .stopWhen(stop::requested)
                    .run(data.train(), start, endRound, listener);
            network.load(end.params(), end.updater());
            // dl4j-spark counts a caller's epochs itself once training returns
            network.setCounters(schedule.iterationsBefore(endRound),
                    continuing != null ? network.epochCount() : schedule.epochOf(endRound));
            if (outputs == null) {
                return new Result(network, end.params(), null, endRound, null);
            }
            double[] finalParams = end.params();
            EvalResult finalEval = outputs.lastEval();
            if (spec.bn().preciseExamples() > 0 && !network.batchNorms().isEmpty()) {
                PreciseBn.Outcome precise = outputs.preciseBn(data.train(), info.total(), end);
                finalParams = precise.params();
                finalEval = precise.eval();
            }
            String model = ModelExport.write(store, network);
            outputs.writeProvenance(data.fingerprint(), info.total(), workers);
            return new Result(network, finalParams, finalEval, endRound, model);
        } catch (RuntimeException e) {
            if (stop.requested()) {
                // the killed tasks end at their next step boundary; a context stopped before they report
                // back logs Spark's own errors about them
                awaitNoRunningTasks(sc, Duration.ofSeconds(spec.collective().timeoutSec()));
                // a stop cancels whatever Spark job runs (reading data, evaluating): that failure is the stop
                throw RunInterrupted.findIn(e) != null ? e : new RunInterrupted(inRound[0], e);
            }
            throw e;
        } finally {
            data.release();
            WorkerNetworks.release(runId);
        }
    }

    /** Waits (at most {@code limit}) until no executor runs a task of this context. */
    private static void awaitNoRunningTasks(JavaSparkContext sc, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            int running = 0;
            for (org.apache.spark.SparkExecutorInfo e : sc.sc().statusTracker().getExecutorInfos()) {
                running += e.numRunningTasks();
            }
            if (running == 0) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private Network startNetwork(FileStore store, Checkpoint checkpoint, ShardInfo info, ShardPlan plan) {
        if (continuing != null) {
            return continuing;
        }
        if (checkpoint != null) {
            return Checkpoint.network(store);
        }
        if (info.labelSize() != spec.data().numClasses()) {
            throw new SpecException("training examples have " + info.labelSize() + " classes, data.numClasses = "
                    + spec.data().numClasses());
        }
        Network network = JobNetworks.build(spec, ModelInput.of(info.imageShape(), info.featureSize(), info.labelSize()),
                plan.stepsPerEpoch(), sc::hadoopConfiguration);
        if (warmStart != null) {
            WarmStart.apply(network, warmStart, warmStartName);
        }
        return network;
    }

    /**
     * The spec's BN mode, except for a caller's own network ({@link #continuing}), whose layers decide:
     * DL4J's BatchNormalization trains locally, ghost layers within their worker.
     */
    private BnMode effectiveMode(Network network) {
        if (continuing == null) {
            return spec.bn().mode();
        }
        if (network.syncBnLayers().isEmpty()) {
            return BnMode.parse("local");
        }
        int ghost = ((SyncBatchNormalization) network.syncBnLayers().get(0).conf().getLayer()).getGhostBatchSize();
        return ghost > 0 ? BnMode.parse("ghost:" + ghost) : spec.bn().mode();
    }

    /**
     * The secret every connection of this run's rendezvous and meshes proves: derived from Spark's own
     * when spark.authenticate is on (so one secret guards the whole application), else 256 fresh bits.
     */
    static JobSecret jobSecret(JavaSparkContext sc) {
        if (sc.getConf().getBoolean("spark.authenticate", false) && sc.getConf().contains("spark.authenticate.secret")) {
            return JobSecret.derive(sc.getConf().get("spark.authenticate.secret"));
        }
        return JobSecret.random();
    }

    private static void refuseToOverwrite(FileStore out) {
        if (Checkpoint.exists(out) || out.exists(ModelExport.MODEL_FILE)) {
            throw new SpecException("output directory " + out + " already holds a run: use --resume " + out
                    + " to continue it, or another --out");
        }
    }

    /**
     * Native threads per worker: max(1, cores / W) in local mode. On a cluster, the executors'
     * OMP_NUM_THREADS when the submitter set one (spark.executorEnv.OMP_NUM_THREADS), else the
     * cores each task owns (spark.task.cpus). Every task applies the count to ND4J itself, so
     * executors never run more native threads than their share of cores.
     */
    static int threadsPerWorker(JavaSparkContext sc, int workers) {
        if (sc.isLocal()) {
            return NativeThreads.perWorker(Runtime.getRuntime().availableProcessors(), workers);
        }
        String omp = sc.getConf().get("spark.executorEnv.OMP_NUM_THREADS", "");
        if (!omp.isBlank()) {
            try {
                return Math.max(1, Integer.parseInt(omp.trim()));
            } catch (NumberFormatException e) {
                throw new SpecException("spark.executorEnv.OMP_NUM_THREADS = " + omp + ": expected an integer >= 1");
            }
        }
        return Math.max(1, sc.getConf().getInt("spark.task.cpus", 1));
    }

    /** The training (and, from the spec's own source, test) shards of a run, and who releases them. */
    private record RunData(JavaRDD<Shard> train, JavaRDD<Shard> test, Map<String, String> fingerprint, boolean owned) {

        static RunData given(JavaRDD<Shard> train) {
            return new RunData(train, null, Map.of(), false);
        }

        static RunData of(JavaSparkContext sc, JobSpec spec) {
            ShardSource source = ShardSource.of(spec.data());
            Map<String, String> fingerprint = source.fingerprint();   // also fails fast on missing files
            int workers = spec.train().workers();
            return new RunData(source.training(sc, workers, spec.data().maxTrainExamples(), spec.seed(),
                    spec.data().shuffle()), source.test(sc, workers, spec.data().maxTestExamples()), fingerprint, true);
        }

        /** The training shards' shapes, checked against the test shards' and the spec (reads both now). */
        ShardInfo info(JobSpec spec) {
            ShardInfo info = ShardInfo.of(train);
            if (test != null) {
                ShardInfo testInfo = ShardInfo.of(test);   // reads and checks the test files now, not after epoch 1
                if (testInfo.featureSize() != info.featureSize() || testInfo.labelSize() != info.labelSize()) {
                    throw new SpecException("data " + spec.data().dir() + ": test examples have "
                            + testInfo.featureSize() + " features and " + testInfo.labelSize()
                            + " classes, training examples " + info.featureSize() + " and " + info.labelSize());
                }
            }
            return info;
        }

        void release() {
            if (owned) {
                train.unpersist(false);
                test.unpersist(false);
            }
        }
    }
}
