package org.syncbn.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.apache.spark.api.java.JavaRDD;
import org.syncbn.data.Shard;
import org.syncbn.eval.EvalResult;
import org.syncbn.eval.Evaluator;
import org.syncbn.network.Network;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.FileStore;
import org.syncbn.store.MetricsLog;
import org.syncbn.store.Provenance;

import java.io.PrintStream;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * What a run with an output directory does on the driver after each round: evaluate on the test set
 * and append to metrics.jsonl at epoch ends (every {@code train.evalEveryEpochs} and after the last),
 * checkpoint every {@code checkpoint.everyRounds} rounds and at epoch ends; at the end PreciseBN (when
 * asked for) and provenance.json.
 */
final class RunOutputs implements RoundListener {
    private final RunContext ctx;
    private final FileStore out;
    private final Network network;
    private final JavaRDD<Shard> test;
    private final PrintStream progress;
    private final MetricsLog metrics;

    private double trainSeconds;
    private long epochSamples;
    private double epochSeconds;
    private double epochLossSum;
    private double epochStepSeconds;
    private RoundReport.Overhead epochOverhead = RoundReport.Overhead.NONE;
    private int epochRounds;
    private EvalResult lastEval;
    private EpochMetrics lastMetrics;
    private PreciseBnRecord precise;

    /**
     * @param network     the driver's network: checkpoints are written from it
     * @param elapsedSec  training wall time of the run before this JVM took it over (resume)
     * @param startRound  the first round of this JVM: metrics of later rounds (an interrupted run's) are dropped
     */
    RunOutputs(RunContext ctx, FileStore out, Network network, JavaRDD<Shard> test, PrintStream progress,
               double elapsedSec, int startRound) {
        this.ctx = ctx;
        this.out = out;
        this.network = network;
        this.test = test;
        this.progress = progress;
        this.metrics = new MetricsLog(out, TrainingRun.METRICS_FILE);
        this.trainSeconds = elapsedSec;
        metrics.truncateToRoundsBefore(startRound);
    }

    @Override
    public void onRound(RoundReport r, TrainingState state) {
        trainSeconds += r.seconds();
        epochSamples += r.samples();
        epochSeconds += r.seconds();
        epochLossSum += r.meanLoss() * r.samples();
        epochStepSeconds += r.stepSeconds();
        epochOverhead = epochOverhead.plus(r.overhead());
        epochRounds++;
        if (r.endsEpoch()) {
            int epochsDone = r.epoch() + 1;
            if (r.round() + 1 == ctx.endRound() || epochsDone % ctx.spec().train().evalEveryEpochs() == 0) {
                evaluate(r, state, epochsDone);
            }
            epochSamples = 0;
            epochSeconds = 0;
            epochLossSum = 0;
            epochStepSeconds = 0;
            epochOverhead = RoundReport.Overhead.NONE;
            epochRounds = 0;
        }
        int every = ctx.spec().checkpoint().everyRounds();
        if (r.endsEpoch() || (every > 0 && (r.round() + 1) % every == 0)) {
            loadInto(state);
            new Checkpoint(state.nextRound(), ctx.spec().seed(), ctx.spec().resolvedHocon(), trainSeconds, ctx.runId())
                    .write(out, network);
        }
    }

    private void evaluate(RoundReport r, TrainingState state, int epochsDone) {
        long t0 = System.nanoTime();
        lastEval = Evaluator.evaluate(ctx.sc(), test, ctx.runId(), ctx.blueprint(), state.params(), ctx.threads());
        double evalSeconds = (System.nanoTime() - t0) / 1e9;
        EpochMetrics.RoundSeconds roundSec = epochRounds == 0 ? null : new EpochMetrics.RoundSeconds(
                epochOverhead.broadcast() / epochRounds, epochOverhead.taskSetup() / epochRounds,
                epochOverhead.launchCollect() / epochRounds, epochOverhead.merge() / epochRounds,
                epochSeconds / epochRounds);
        lastMetrics = new EpochMetrics(epochsDone, r.round(),
                epochSamples == 0 ? null : epochLossSum / epochSamples, lastEval.meanLoss(), lastEval.accuracy(),
                lastEval.count(), epochSeconds == 0 ? null : epochSamples / epochSeconds, trainSeconds,
                epochSeconds == 0 ? null : 1 - epochStepSeconds / epochSeconds, evalSeconds, roundSec);
        metrics.append(lastMetrics);
        progress.printf(Locale.ROOT, "epoch %d: test accuracy %.4f  test loss %.4f  (%d examples, %.1f samples/s)%n",
                epochsDone, lastEval.accuracy(), lastEval.meanLoss(), lastEval.count(),
                epochSeconds == 0 ? 0.0 : epochSamples / epochSeconds);
    }

    /** Puts {@code state} into the driver's network, with DL4J's iteration and epoch counters. */
    private void loadInto(TrainingState state) {
        network.load(state.params(), state.updater());
        network.setCounters(ctx.schedule().iterationsBefore(state.nextRound()), ctx.schedule().epochOf(state.nextRound()));
    }

    EvalResult lastEval() {
        return lastEval;
    }

    /**
     * PreciseBN over {@code bn.precise.examples} training examples on the trained network (which then
     * holds the precise statistics), evaluated and recorded in metrics.jsonl beside the running
     * statistics' accuracy.
     */
    PreciseBn.Outcome preciseBn(JavaRDD<Shard> train, int trainExamples, TrainingState end) {
        long t0 = System.nanoTime();
        long requested = ctx.spec().bn().preciseExamples();
        double[] params = PreciseBn.recompute(ctx.sc(), train, network, ctx.runId(), ctx.threads(), requested);
        EvalResult preciseEval = Evaluator.evaluate(ctx.sc(), test, ctx.runId(), ctx.blueprint(), params, ctx.threads());
        EvalResult ema = lastEval != null ? lastEval
                : Evaluator.evaluate(ctx.sc(), test, ctx.runId(), ctx.blueprint(), end.params(), ctx.threads());
        long examples = Math.min(requested, trainExamples);
        precise = new PreciseBnRecord(examples, ema.accuracy(), preciseEval.accuracy(), ema.meanLoss(),
                preciseEval.meanLoss(), (System.nanoTime() - t0) / 1e9);
        // after every training round: a resume at the end does it again
        metrics.append(new PreciseBnLine(ctx.endRound(), precise));
        progress.printf(Locale.ROOT, "PreciseBN over %d examples: test accuracy %.4f (running statistics: %.4f)%n",
                examples, preciseEval.accuracy(), ema.accuracy());
        return new PreciseBn.Outcome(params, preciseEval);
    }

    /** provenance.json: where the model came from. */
    void writeProvenance(Map<String, String> fingerprint, int trainExamples, int workers) {
        Provenance.write(out, new RunProvenance(ctx.spec().name(), ctx.spec().seed(), Instant.now().toString(),
                Provenance.versions(ctx.sc().version()), ctx.sc().master(), workers, ctx.threads(),
                new RunProvenance.Data(ctx.spec().data().dir(), trainExamples, fingerprint), ctx.endRound(),
                lastMetrics != null ? lastMetrics : Map.of(), precise, ctx.spec().resolvedHocon()));
    }

    /** The PreciseBN line of metrics.jsonl, after the round that ended training. */
    record PreciseBnLine(@JsonProperty("round") int round, @JsonProperty("precise_bn") PreciseBnRecord preciseBn) {}

    /** The PreciseBN figures of metrics.jsonl (also in provenance.json: model.zip holds these statistics). */
    record PreciseBnRecord(
            @JsonProperty("examples") long examples,
            @JsonProperty("ema_test_accuracy") double emaTestAccuracy,
            @JsonProperty("precise_test_accuracy") double preciseTestAccuracy,
            @JsonProperty("ema_test_loss") double emaTestLoss,
            @JsonProperty("precise_test_loss") double preciseTestLoss,
            @JsonProperty("sec") double sec) {}

    /**
     * provenance.json of a training run.
     *
     * @param finalMetrics the last metrics line
     * @param preciseBn    the PreciseBN figures, when the run did it
     * @param spec         the resolved job spec
     */
    record RunProvenance(
            @JsonProperty("job") String job,
            @JsonProperty("seed") long seed,
            @JsonProperty("finished") String finished,
            @JsonProperty("versions") Map<String, Object> versions,
            @JsonProperty("spark_master") String sparkMaster,
            @JsonProperty("workers") int workers,
            @JsonProperty("threads_per_worker") int threadsPerWorker,
            @JsonProperty("data") Data data,
            @JsonProperty("rounds") int rounds,
            @JsonProperty("final_metrics") Object finalMetrics,
            @JsonProperty("precise_bn") @JsonInclude(JsonInclude.Include.NON_NULL) PreciseBnRecord preciseBn,
            @JsonProperty("spec") String spec) {

        /** The training data: source directory, examples used, SHA-256 of every file. */
        record Data(@JsonProperty("source") String source, @JsonProperty("train_examples") int trainExamples,
                    @JsonProperty("sha256") Map<String, String> sha256) {}
    }
}
