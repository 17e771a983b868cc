package org.syncbn.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.data.Shard;
import org.syncbn.data.ShardInfo;
import org.syncbn.data.ShardPlan;
import org.syncbn.data.ShardSource;
import org.syncbn.eval.EvalResult;
import org.syncbn.eval.Evaluator;
import org.syncbn.model.NetworkFactory;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.FileStore;
import org.syncbn.store.MetricsLog;
import org.syncbn.store.ModelExport;
import org.syncbn.store.Provenance;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A whole training run as the CLI starts it: data → shards → rounds → evaluation, metrics and
 * checkpoints → model.zip and provenance.json in the output directory.
 */
public final class TrainingJob {
    public static final String METRICS_FILE = "metrics.jsonl";

    /**
     * @param spec       the job (ignored on resume: the checkpoint's spec is used)
     * @param out        output directory: a local path or any Hadoop FileSystem URI
     * @param resume     continue from {@code out/checkpoint.zip}
     * @param progress   where the per-round progress lines go (stderr in the CLI)
     * @param afterRound extra driver-side hook after each round's bookkeeping (tests inject crashes)
     * @param fault      a worker failure to inject (tests), or null
     * @param warmStart  a network whose parameters a new run starts from instead of a fresh
     *                   initialisation (same architecture; standard or SyncBN layers), or null
     */
    public record Options(JobSpec spec, String out, boolean resume, PrintStream progress, RoundListener afterRound,
                          FaultInjection fault, MultiLayerNetwork warmStart) {

        /** A run from freshly initialised parameters. */
        public Options(JobSpec spec, String out, boolean resume, PrintStream progress, RoundListener afterRound,
                       FaultInjection fault) {
            this(spec, out, resume, progress, afterRound, fault, null);
        }

        /** A run without injected faults. */
        public Options(JobSpec spec, String out, boolean resume, PrintStream progress, RoundListener afterRound) {
            this(spec, out, resume, progress, afterRound, null);
        }

        /** A run into a local directory. */
        public Options(JobSpec spec, Path out, boolean resume, PrintStream progress, RoundListener afterRound,
                       FaultInjection fault) {
            this(spec, out.toString(), resume, progress, afterRound, fault);
        }

        /** A run into a local directory without injected faults. */
        public Options(JobSpec spec, Path out, boolean resume, PrintStream progress, RoundListener afterRound) {
            this(spec, out.toString(), resume, progress, afterRound, null);
        }
    }

    /**
     * The end of a run.
     *
     * @param model where model.zip was written (path or URI)
     */
    public record Outcome(FileStore out, String model, double[] finalParams, EvalResult lastEval, int rounds) {}

    private TrainingJob() {
    }

    public static Outcome run(JavaSparkContext sc, Options options) {
        FileStore out = FileStore.at(options.out(), sc::hadoopConfiguration);
        Checkpoint checkpoint = options.resume() ? Checkpoint.read(out) : null;
        JobSpec spec = checkpoint != null ? JobSpecLoader.fromResolved(checkpoint.specHocon()) : options.spec();
        if (checkpoint == null) {
            refuseToOverwrite(out);
        }
        ShardSource source = ShardSource.of(spec.data());
        Map<String, String> fingerprint = source.fingerprint();   // also fails fast on missing files
        int workers = spec.train().workers();
        int threads = spec.train().threadsPerWorker() > 0 ? spec.train().threadsPerWorker()
                : threadsPerWorker(sc, workers);
        NativeThreads.apply(threads);

        JavaRDD<Shard> train = source.training(sc, workers, spec.data().maxTrainExamples(), spec.seed(),
                spec.data().shuffle());
        JavaRDD<Shard> test = source.test(sc, workers, spec.data().maxTestExamples());
        String runId = checkpoint != null ? checkpoint.runId() : spec.name() + "-" + System.nanoTime();
        try {
            ShardInfo info = ShardInfo.of(train);
            ShardInfo testInfo = ShardInfo.of(test);   // also reads and checks the test files now, not after epoch 1
            if (testInfo.featureSize() != info.featureSize() || testInfo.labelSize() != info.labelSize()) {
                throw new SpecException("data " + spec.data().dir() + ": test examples have " + testInfo.featureSize()
                        + " features and " + testInfo.labelSize() + " classes, training examples "
                        + info.featureSize() + " and " + info.labelSize());
            }
            ShardPlan plan = new ShardPlan(info.total(), workers, spec.train().batchPerWorker(), spec.seed(),
                    spec.data().shuffle());
            MultiLayerConfiguration conf = NetworkFactory.build(spec, info.featureSize(), plan.stepsPerEpoch());
            MultiLayerNetwork master = checkpoint != null ? Checkpoint.network(out) : new MultiLayerNetwork(conf);
            if (checkpoint == null) {
                master.init();
                if (options.warmStart() != null) {
                    WarmStart.apply(master, options.warmStart(), "the warm-start model");
                }
            }
            // the initialised network's JSON: DL4J's reader needs its recorded parameter names to
            // keep a BatchNorm variance parameterisation (useLogStd) as configured
            String confJson = master.getLayerWiseConfigurations().toJson();
            RoundConfig roundConfig = new RoundConfig(runId, confJson, plan, spec.train().stepsPerRound(), threads,
                    spec.bnMode(), spec.collective().timeoutSec(), spec.collective().rendezvous().equals("driver"),
                    spec.train().roundAttempts(), spec.spark().slotWaitSec(), options.fault());
            RoundLoop loop = new RoundLoop(sc, roundConfig, ParamLayout.of(master), master.params().dataType());
            RoundSchedule schedule = loop.schedule();
            int endRound = spec.train().epochs() * schedule.roundsPerEpoch();
            MetricsLog metrics = new MetricsLog(out, METRICS_FILE);
            int startRound = checkpoint != null ? checkpoint.nextRound() : 0;
            metrics.truncateToRoundsBefore(startRound);

            Bookkeeper book = new Bookkeeper(sc, spec, out, runId, confJson, master, schedule, endRound,
                    test, metrics, threads, options.progress(), checkpoint == null ? 0 : checkpoint.elapsedSec(),
                    options.afterRound());
            TrainingState start = new TrainingState(NetworkState.params(master), NetworkState.updater(master),
                    startRound);
            TrainingState end = loop.run(train, start, endRound, book);

            book.loadInto(end);
            double[] finalParams = end.params();
            EvalResult finalEval = book.lastEval();
            Map<String, Object> preciseRecord = null;
            if (spec.bn().preciseExamples() > 0 && !PreciseBn.bnLayers(master).isEmpty()) {
                long t0 = System.nanoTime();
                finalParams = PreciseBn.recompute(sc, train, master, runId, threads, spec.bn().preciseExamples());
                finalEval = Evaluator.evaluate(sc, test, runId, confJson, finalParams, threads);
                EvalResult ema = book.lastEval() != null ? book.lastEval()
                        : Evaluator.evaluate(sc, test, runId, confJson, end.params(), threads);
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("round", endRound);   // after every training round: a resume at the end re-does it
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("examples", Math.min(spec.bn().preciseExamples(), info.total()));
                p.put("ema_test_accuracy", ema.accuracy());
                p.put("precise_test_accuracy", finalEval.accuracy());
                p.put("ema_test_loss", ema.meanLoss());
                p.put("precise_test_loss", finalEval.meanLoss());
                p.put("sec", (System.nanoTime() - t0) / 1e9);
                rec.put("precise_bn", p);
                metrics.append(rec);
                preciseRecord = p;
                options.progress().printf(java.util.Locale.ROOT,
                        "PreciseBN over %d examples: test accuracy %.4f (running statistics: %.4f)%n",
                        Math.min(spec.bn().preciseExamples(), info.total()), finalEval.accuracy(), ema.accuracy());
            }
            String model = ModelExport.write(out, master);
            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("job", spec.name());
            prov.put("seed", spec.seed());
            prov.put("finished", Instant.now().toString());
            prov.put("versions", Provenance.versions(sc.version()));
            prov.put("spark_master", sc.master());
            prov.put("workers", workers);
            prov.put("threads_per_worker", threads);
            prov.put("data", Map.of("source", spec.data().dir(), "train_examples", info.total(),
                    "sha256", fingerprint));
            prov.put("rounds", endRound);
            prov.put("final_metrics", book.lastRecord());
            if (preciseRecord != null) {
                prov.put("precise_bn", preciseRecord);   // model.zip holds these statistics
            }
            prov.put("spec", spec.resolvedHocon());
            Provenance.write(out, prov);
            return new Outcome(out, model, finalParams, finalEval, endRound);
        } finally {
            train.unpersist(false);
            test.unpersist(false);
            WorkerNetworks.release(runId);
        }
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
}
