package org.syncbn.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.apache.spark.api.java.JavaRDD;
import org.syncbn.data.Shard;
import org.syncbn.eval.EvalResult;
import org.syncbn.eval.LearningCurves;
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
    private final String started;
    private final RunProvenance.ResumedFrom resumedFrom;
    private final java.util.List<String> command;

    /**
     * @param network    the driver's network: checkpoints are written from it
     * @param resumed    the checkpoint this JVM continues from, or null: its training time, start time and the
     *                   sums of the epoch in progress carry on
     * @param startRound the first round of this JVM: metrics of later epochs (an interrupted run's) are dropped
     * @param command    the command line provenance.json records
     */
    RunOutputs(RunContext ctx, FileStore out, Network network, JavaRDD<Shard> test, PrintStream progress,
               Checkpoint resumed, int startRound, java.util.List<String> command) {
        this.command = command;
        this.ctx = ctx;
        this.out = out;
        this.network = network;
        this.test = test;
        this.progress = progress;
        this.metrics = new MetricsLog(out, TrainingRun.METRICS_FILE);
        this.trainSeconds = resumed == null ? 0 : resumed.elapsedSec();
        this.started = resumed != null && resumed.started() != null ? resumed.started() : Instant.now().toString();
        this.resumedFrom = resumed == null ? null
                : new RunProvenance.ResumedFrom(out.describe(Checkpoint.FILE), resumed.nextRound(), Instant.now().toString());
        Checkpoint.EpochSums sums = resumed == null || resumed.epochSoFar() == null ? Checkpoint.EpochSums.NONE
                : resumed.epochSoFar();
        epochSamples = sums.samples();
        epochLossSum = sums.lossSum();
        epochSeconds = sums.seconds();
        epochStepSeconds = sums.stepSeconds();
        epochRounds = sums.rounds();
        epochOverhead = new RoundReport.Overhead(sums.broadcast(), sums.taskSetup(), sums.launchCollect(), sums.merge());
        metrics.keepEpochsUpTo(ctx.schedule().epochOf(startRound));
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
            new Checkpoint(state.nextRound(), ctx.spec().seed(), ctx.spec().resolvedHocon(), trainSeconds, ctx.runId(),
                    started, new Checkpoint.EpochSums(epochSamples, epochLossSum, epochSeconds, epochStepSeconds,
                    epochRounds, epochOverhead.broadcast(), epochOverhead.taskSetup(), epochOverhead.launchCollect(),
                    epochOverhead.merge())).write(out, network);
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
        lastMetrics = new EpochMetrics(epochsDone, r.round() + 1,
                epochSamples == 0 ? null : epochLossSum / epochSamples, lastEval.meanLoss(), lastEval.accuracy(),
                lastEval.count(), epochSeconds == 0 ? null : epochSamples / epochSeconds, trainSeconds,
                epochSeconds == 0 ? null : 1 - epochStepSeconds / epochSeconds, evalSeconds, roundSec);
        metrics.append(lastMetrics);
        LearningCurves.redraw(out, ctx.spec().name(), metrics.read());
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
        Provenance.write(out, new RunProvenance(ctx.spec().name(), ctx.spec().seed(), started, Instant.now().toString(),
                command, resumedFrom, Provenance.versions(ctx.sc().version()), ctx.sc().master(),
                workers, ctx.threads(), new RunProvenance.Data(ctx.spec().data().dir(), trainExamples, fingerprint),
                ctx.endRound(), lastMetrics != null ? lastMetrics : Map.of(), precise,
                Provenance.specJson(ctx.spec().resolvedHocon())));
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
     * @param started      when the run first started (ISO-8601; kept across resumes)
     * @param finished     when it wrote its model
     * @param command      the command line of the (last) JVM that ran it: syncbn's, or the JVM's main class and arguments
     * @param resumedFrom  the checkpoint this JVM continued from, or null when it ran from the start
     * @param versions     code and library versions, and the ND4J native build loaded
     * @param finalMetrics the last metrics line
     * @param preciseBn    the PreciseBN figures, when the run did it
     * @param spec         the resolved job spec, as a JSON object
     */
    record RunProvenance(
            @JsonProperty("job") String job,
            @JsonProperty("seed") long seed,
            @JsonProperty("started") String started,
            @JsonProperty("finished") String finished,
            @JsonProperty("command") java.util.List<String> command,
            @JsonProperty("resumed_from") @JsonInclude(JsonInclude.Include.NON_NULL) ResumedFrom resumedFrom,
            @JsonProperty("versions") Map<String, Object> versions,
            @JsonProperty("spark_master") String sparkMaster,
            @JsonProperty("workers") int workers,
            @JsonProperty("threads_per_worker") int threadsPerWorker,
            @JsonProperty("data") Data data,
            @JsonProperty("rounds") int rounds,
            @JsonProperty("final_metrics") Object finalMetrics,
            @JsonProperty("precise_bn") @JsonInclude(JsonInclude.Include.NON_NULL) PreciseBnRecord preciseBn,
            @JsonProperty("spec") com.fasterxml.jackson.databind.JsonNode spec) {

        /** Where a resumed run continued: the checkpoint, the rounds it held done, and when. */
        record ResumedFrom(@JsonProperty("checkpoint") String checkpoint, @JsonProperty("rounds_done") int roundsDone,
                           @JsonProperty("at") String at) {}

        /** The training data: source directory, examples used, SHA-256 of every file. */
        record Data(@JsonProperty("source") String source, @JsonProperty("train_examples") int trainExamples,
                    @JsonProperty("sha256") Map<String, String> sha256) {}
    }
}
