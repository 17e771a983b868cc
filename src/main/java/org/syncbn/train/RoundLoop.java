package org.syncbn.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.syncbn.collective.CollectiveSecurity;
import org.syncbn.collective.DriverRendezvous;
import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;
import org.syncbn.data.Shard;
import org.syncbn.data.ShardPlan;
import org.syncbn.network.Network;
import org.syncbn.network.ParamLayout;
import org.syncbn.worker.RoundConfig;
import org.syncbn.worker.RoundState;
import org.syncbn.worker.RoundTask;
import org.syncbn.worker.WorkerResult;

import java.time.Duration;
import java.util.List;

/**
 * The driver's round loop (docs/ARCHITECTURE.md, "A run"): per round, broadcast the state, run one
 * barrier stage of W tasks taking K steps each and merging their states among them ({@link RoundTask}),
 * take rank 0's merged copy. Per-step work, and the merge, never touch the driver. Per-step work
 * never touches the driver.
 */
final class RoundLoop {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RoundLoop.class);
    private final JavaSparkContext sc;
    private final RoundConfig config;
    private final ShardPlan plan;
    private final RoundSchedule schedule;
    private final DataType dataType;
    private final JobSpec.CollectiveSpec collective;
    private final int roundAttempts;
    private final int slotWaitSec;

    private final CollectiveSecurity security;
    private java.util.function.BooleanSupplier stopRequested = () -> false;

    RoundLoop(JavaSparkContext sc, RoundConfig config, RoundSchedule schedule, Network network, JobSpec spec,
              CollectiveSecurity security) {
        this.security = security;
        this.sc = sc;
        this.config = config;
        this.plan = config.plan();
        this.schedule = schedule;
        this.dataType = network.dataType();
        this.collective = spec.collective();
        this.roundAttempts = spec.train().roundAttempts();
        this.slotWaitSec = spec.spark().slotWaitSec();
    }

    /**
     * Checked before each round and before a failed round would run again: when true the loop ends with
     * {@link RunInterrupted} (whoever sets it also cancels the stage, whose tasks end between two steps).
     */
    RoundLoop stopWhen(java.util.function.BooleanSupplier requested) {
        this.stopRequested = requested;
        return this;
    }

    /** The rendezvous tokens of a round start with this; each attempt appends its number and a dot. */
    private String roundToken(int round) {
        return config.runId() + "/r" + round + "/a";
    }

    /** Runs rounds from {@code start.nextRound()} up to (excluding) {@code endRound}. */
    TrainingState run(JavaRDD<Shard> shards, TrainingState start, int endRound, RoundListener listener) {
        if (shards.getNumPartitions() != plan.workers()) {
            throw new IllegalArgumentException("training data has " + shards.getNumPartitions()
                    + " partitions, the plan needs one per worker: " + plan.workers());
        }
        DriverRendezvous rendezvous = plan.workers() > 1 && collective.rendezvous() == JobSpec.Rendezvous.DRIVER
                ? DriverRendezvous.start(driverHost(), Duration.ofSeconds(collective.timeoutSec()), security) : null;
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
        TaskSlots slots = TaskSlots.of(sc.sc(), plan.workers(), Duration.ofSeconds(slotWaitSec));
        for (int r = start.nextRound(); r < endRound; r++) {
            if (stopRequested.getAsBoolean()) {
                throw new RunInterrupted(r, null);
            }
            long t0 = System.nanoTime();
            List<WorkerResult> results = null;
            StageTimes times = new StageTimes();
            for (int attempt = 0; results == null; attempt++) {
                RoundState roundState = new RoundState(state.params(), state.updater(), schedule.epochOf(r),
                        schedule.firstStep(r), schedule.steps(r), schedule.iterationsBefore(r), r, attempt,
                        rendezvous == null ? null : rendezvous.address(), roundToken(r) + attempt + ".");
                try {
                    slots.await();
                    results = runBarrierStage(shards, roundState, times, slots);
                } catch (Exception e) {   // SparkException, thrown undeclared through Scala
                    if (rendezvous != null) {
                        // tasks of this attempt still waiting to meet would hold their slots until the timeout
                        rendezvous.abort(roundToken(r) + attempt + ".", "the round failed: " + rootMessage(e));
                    }
                    if (stopRequested.getAsBoolean()) {   // the stage was cancelled to stop: never re-run it
                        throw new RunInterrupted(r, e);
                    }
                    if (attempt + 1 >= roundAttempts || SpecException.findIn(e) != null
                            || ClusterCapacityException.findIn(e) != null) {
                        throw e;
                    }
                    LOG.warn("round {} failed ({}); re-running it from the driver's state, attempt {} of {}",
                            r + 1, rootMessage(e), attempt + 2, roundAttempts);
                }
            }
            if (rendezvous != null) {
                rendezvous.forget(roundToken(r));
            }
            WorkerResult merged = results.get(0);   // rank 0 carries the state the workers merged
            Divergence.check(r, schedule.iterationsBefore(r), results);
            // the driver keeps exactly what the network can hold, so a checkpoint loses nothing
            state = new TrainingState(Network.roundTo(dataType, merged.params()),
                    Network.roundTo(dataType, merged.updater()), r + 1);
            double mergeSeconds = 0;
            for (WorkerResult w : results) {
                mergeSeconds = Math.max(mergeSeconds, w.mergeSeconds());
            }
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

    private List<WorkerResult> runBarrierStage(JavaRDD<Shard> shards, RoundState roundState, StageTimes times,
                                               TaskSlots slots) {
        long b0 = System.nanoTime();
        Broadcast<RoundState> broadcast = sc.broadcast(roundState);
        long s0 = System.nanoTime();
        times.broadcast = (s0 - b0) / 1e9;
        // a tag of this attempt's job alone (a tag, not a job group: a caller's own group stays as it is)
        String tag = "syncbn-round-" + roundState.tokenPrefix().replace(',', '_');
        sc.sc().addJobTag(tag);
        try (TaskSlots.Watch watch = slots.watch(() -> {
            LOG.warn("round {}: fewer task slots than workers for spark.slotWaitSec while its stage ran; cancelling it",
                    roundState.round() + 1);
            sc.sc().cancelJobsWithTag(tag);
        })) {
            List<WorkerResult> results = RoundTask.runStage(shards, config, broadcast);
            times.stage = (System.nanoTime() - s0) / 1e9;
            return results;
        } finally {
            sc.sc().removeJobTag(tag);
            broadcast.destroy();
        }
    }
}
