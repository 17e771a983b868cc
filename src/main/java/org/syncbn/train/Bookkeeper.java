package org.syncbn.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.syncbn.config.JobSpec;
import org.syncbn.data.Shard;
import org.syncbn.eval.EvalResult;
import org.syncbn.eval.Evaluator;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.FileStore;
import org.syncbn.store.MetricsLog;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The driver's per-round chores: a progress line, evaluation and a metrics record at epoch ends,
 * checkpoints every {@code checkpoint.everyRounds} rounds and at epoch ends.
 */
final class Bookkeeper implements RoundListener {
    private final JavaSparkContext sc;
    private final JobSpec spec;
    private final FileStore out;
    private final String runId;
    private final String confJson;
    private final MultiLayerNetwork master;
    private final RoundSchedule schedule;
    private final int endRound;
    private final JavaRDD<Shard> test;
    private final MetricsLog metrics;
    private final int threads;
    private final PrintStream progress;
    private final RoundListener afterRound;

    private double trainSeconds;
    private long epochSamples;
    private double epochSeconds;
    private double epochLossSum;
    private double epochStepSeconds;
    private RoundReport.Overhead epochOverhead = RoundReport.Overhead.NONE;
    private int epochRounds;
    private int roundsThisRun;
    private double secondsThisRun;
    private EvalResult lastEval;
    private Map<String, Object> lastRecord = Map.of();

    Bookkeeper(JavaSparkContext sc, JobSpec spec, FileStore out, String runId, String confJson, MultiLayerNetwork master,
               RoundSchedule schedule, int endRound, JavaRDD<Shard> test, MetricsLog metrics, int threads,
               PrintStream progress, double elapsedBefore, RoundListener afterRound) {
        this.sc = sc;
        this.spec = spec;
        this.out = out;
        this.runId = runId;
        this.confJson = confJson;
        this.master = master;
        this.schedule = schedule;
        this.endRound = endRound;
        this.test = test;
        this.metrics = metrics;
        this.threads = threads;
        this.progress = progress;
        this.trainSeconds = elapsedBefore;
        this.afterRound = afterRound;
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
        roundsThisRun++;
        secondsThisRun += r.seconds();
        double eta = secondsThisRun / roundsThisRun * (endRound - r.round() - 1);
        progress.printf(Locale.ROOT, "round %d/%d  epoch %d/%d  train loss %.4f  %.0f samples/s  (steps %.0f%%)  ETA %s%n",
                r.round() + 1, endRound, r.epoch() + 1, spec.train().epochs(), r.meanLoss(),
                r.samples() / r.seconds(), 100 * r.stepSeconds() / r.seconds(), hms(eta));

        boolean last = r.round() + 1 == endRound;
        if (r.endsEpoch()) {
            int epochsDone = r.epoch() + 1;
            if (last || epochsDone % spec.train().evalEveryEpochs() == 0) {
                evaluate(r, state, epochsDone);
            }
            epochSamples = 0;
            epochSeconds = 0;
            epochLossSum = 0;
            epochStepSeconds = 0;
            epochOverhead = RoundReport.Overhead.NONE;
            epochRounds = 0;
        }
        int every = spec.checkpoint().everyRounds();
        if (r.endsEpoch() || (every > 0 && (r.round() + 1) % every == 0)) {
            loadInto(state);
            new Checkpoint(state.nextRound(), spec.seed(), spec.resolvedHocon(), trainSeconds, runId)
                    .write(out, master);
        }
        if (afterRound != null) {
            afterRound.onRound(r, state);
        }
    }

    private void evaluate(RoundReport r, TrainingState state, int epochsDone) {
        long t0 = System.nanoTime();
        lastEval = Evaluator.evaluate(sc, test, runId, confJson, state.params(), threads);
        double evalSeconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("epoch", epochsDone);
        rec.put("round", r.round());
        rec.put("train_loss", epochSamples == 0 ? null : epochLossSum / epochSamples);
        rec.put("test_loss", lastEval.meanLoss());
        rec.put("test_accuracy", lastEval.accuracy());
        rec.put("test_examples", lastEval.count());
        rec.put("samples_per_sec", epochSeconds == 0 ? null : epochSamples / epochSeconds);
        rec.put("elapsed_sec", trainSeconds);
        rec.put("round_overhead_fraction", epochSeconds == 0 ? null : 1 - epochStepSeconds / epochSeconds);
        rec.put("eval_sec", evalSeconds);
        if (epochRounds > 0) {
            // mean seconds per round of this epoch outside the steps (RoundReport.Overhead)
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("broadcast", epochOverhead.broadcast() / epochRounds);
            o.put("task_setup", epochOverhead.taskSetup() / epochRounds);
            o.put("launch_collect", epochOverhead.launchCollect() / epochRounds);
            o.put("merge", epochOverhead.merge() / epochRounds);
            o.put("round", epochSeconds / epochRounds);
            rec.put("round_sec", o);
        }
        metrics.append(rec);
        lastRecord = rec;
        progress.printf(Locale.ROOT, "epoch %d: test accuracy %.4f  test loss %.4f  (%d examples, %.1f samples/s)%n",
                epochsDone, lastEval.accuracy(), lastEval.meanLoss(), lastEval.count(),
                epochSeconds == 0 ? 0.0 : epochSamples / epochSeconds);
    }

    /** Puts {@code state} into the driver's network, with DL4J's iteration and epoch counters. */
    void loadInto(TrainingState state) {
        NetworkState.load(master, state.params(), state.updater());
        master.setIterationCount(schedule.iterationsBefore(state.nextRound()));
        master.setEpochCount(schedule.epochOf(state.nextRound()));
    }

    EvalResult lastEval() {
        return lastEval;
    }

    Map<String, Object> lastRecord() {
        return lastRecord;
    }

    private static String hms(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
