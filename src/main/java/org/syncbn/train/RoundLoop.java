package org.syncbn.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.nd4j.linalg.api.buffer.DataType;
import org.syncbn.collective.DriverRendezvous;
import org.syncbn.data.Shard;
import org.syncbn.data.ShardPlan;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The driver's round loop (DESIGN.md §1): per round, broadcast the state, run one barrier stage
 * of W tasks taking K steps each, collect, merge. Per-step work never touches the driver.
 */
public final class RoundLoop {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RoundLoop.class);
    private final JavaSparkContext sc;
    private final RoundConfig config;
    private final ShardPlan plan;
    private final RoundSchedule schedule;
    private final ModelMerger merger;
    private final DataType dataType;

    public RoundLoop(JavaSparkContext sc, RoundConfig config, ParamLayout layout, DataType dataType) {
        this.sc = sc;
        this.config = config;
        this.plan = config.plan();
        this.schedule = new RoundSchedule(plan.stepsPerEpoch(), config.stepsPerRound());
        this.merger = new ModelMerger(layout);
        this.dataType = dataType;
    }

    /** The rendezvous token prefix of a round; tasks append their stage attempt number. */
    static String rendezvousToken(String runId, int round) {
        return runId + "/r" + round + "/a";
    }

    public RoundSchedule schedule() {
        return schedule;
    }

    /** Runs rounds from {@code start.nextRound()} up to (excluding) {@code endRound}. */
    public TrainingState run(JavaRDD<Shard> shards, TrainingState start, int endRound, RoundListener listener) {
        if (shards.getNumPartitions() != plan.workers()) {
            throw new IllegalArgumentException("training data has " + shards.getNumPartitions()
                    + " partitions, the plan needs one per worker: " + plan.workers());
        }
        DriverRendezvous rendezvous = config.communicates() && config.driverRendezvous()
                ? DriverRendezvous.start(driverHost(), Duration.ofSeconds(config.timeoutSec())) : null;
        try {
            return rounds(shards, start, endRound, listener, rendezvous);
        } finally {
            if (rendezvous != null) {
                rendezvous.close();
            }
        }
    }

    private TrainingState rounds(JavaRDD<Shard> shards, TrainingState start, int endRound, RoundListener listener,
                                 DriverRendezvous rendezvous) {
        TrainingState state = start;
        TaskSlots slots = TaskSlots.of(sc.sc(), plan.workers(), Duration.ofSeconds(config.slotWaitSec()));
        for (int r = start.nextRound(); r < endRound; r++) {
            long t0 = System.nanoTime();
            List<WorkerResult> results = null;
            StageTimes times = new StageTimes();
            for (int attempt = 0; results == null; attempt++) {
                RoundState roundState = new RoundState(state.params(), state.updater(), schedule.epochOf(r),
                        schedule.firstStep(r), schedule.steps(r), schedule.iterationsBefore(r), r,
                        rendezvous == null ? null : rendezvous.address(), attempt);
                try {
                    slots.await();
                    results = runBarrierStage(shards, roundState, times);
                } catch (Exception e) {   // SparkException, thrown undeclared through Scala
                    if (rendezvous != null) {
                        // tasks of this attempt still waiting to meet would hold their slots until the timeout
                        rendezvous.abort(rendezvousToken(config.runId(), r) + attempt + ".", "the round failed: "
                                + rootMessage(e));
                    }
                    if (attempt + 1 >= config.roundAttempts() || org.syncbn.config.SpecException.findIn(e) != null
                            || ClusterCapacityException.findIn(e) != null) {
                        throw e;
                    }
                    LOG.warn("round {} failed ({}); re-running it from the driver's state, attempt {} of {}",
                            r + 1, rootMessage(e), attempt + 2, config.roundAttempts());
                }
            }
            if (rendezvous != null) {
                rendezvous.forget(rendezvousToken(config.runId(), r));
            }
            long m0 = System.nanoTime();
            ModelMerger.Merged merged = merger.merge(results);
            // the driver keeps exactly what the network can hold, so a checkpoint loses nothing
            state = new TrainingState(NetworkState.roundTo(dataType, merged.params()),
                    NetworkState.roundTo(dataType, merged.updater()), r + 1);
            double mergeSeconds = (System.nanoTime() - m0) / 1e9;
            long samples = 0;
            double lossSum = 0;
            double stepSeconds = 0;
            WorkerResult slowest = results.get(0);
            for (WorkerResult w : results) {
                samples += w.samples();
                lossSum += w.lossSum();
                stepSeconds = Math.max(stepSeconds, w.stepSeconds());
                if (w.taskSeconds() > slowest.taskSeconds()) {
                    slowest = w;
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            RoundReport.Overhead overhead = new RoundReport.Overhead(times.broadcast,
                    slowest.taskSeconds() - slowest.stepSeconds(), times.stage - slowest.taskSeconds(), mergeSeconds);
            listener.onRound(new RoundReport(r, schedule.epochOf(r), schedule.endsEpoch(r), samples,
                    samples == 0 ? Double.NaN : lossSum / samples, seconds, stepSeconds, overhead), state);
        }
        return state;
    }

    /** The worker's own error line when Spark's message carries it (a collective failure), else its first line. */
    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        String m = String.valueOf(t.getMessage());
        return m.lines().filter(l -> l.contains("CollectiveException")).findFirst()
                .orElse(m.lines().findFirst().orElse(m));
    }

    private String driverHost() {
        return sc.getConf().get("spark.driver.host", "127.0.0.1");
    }

    /** Driver-side times of the last attempt of a round's stage, in seconds. */
    private static final class StageTimes {
        double broadcast;
        double stage;
    }

    private List<WorkerResult> runBarrierStage(JavaRDD<Shard> shards, RoundState roundState, StageTimes times) {
        long b0 = System.nanoTime();
        Broadcast<RoundState> broadcast = sc.broadcast(roundState);
        long s0 = System.nanoTime();
        times.broadcast = (s0 - b0) / 1e9;
        try {
            RoundTask task = new RoundTask(config, broadcast);
            ClassTag<WorkerResult> tag = ClassTag$.MODULE$.apply(WorkerResult.class);
            RDD<WorkerResult> out = shards.rdd().barrier().mapPartitions(new BarrierFunction(task), false, tag);
            List<WorkerResult> results = new ArrayList<>(JavaRDD.fromRDD(out, tag).collect());
            results.sort(Comparator.comparingInt(WorkerResult::rank));
            times.stage = (System.nanoTime() - s0) / 1e9;
            return results;
        } finally {
            broadcast.destroy();
        }
    }
}
