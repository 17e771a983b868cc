package org.syncbn.train;

import org.apache.spark.SparkContext;

import java.time.Duration;
import java.util.function.IntSupplier;

/**
 * A round is one barrier stage of W tasks, and Spark launches a barrier stage only when all W
 * task slots are free at once; with fewer it retries for many minutes
 * ({@code spark.scheduler.barrier.maxConcurrentTasksCheck.*}) or, for a re-run stage, waits
 * without end. So before every round the driver checks the slots itself: it waits a bounded time
 * for missing ones (executors still registering, a lost executor being replaced) and otherwise
 * fails with a message saying how many it needs and has.
 */
final class TaskSlots {
    private static final long POLL_MILLIS = 250;

    private final IntSupplier available;
    private final int needed;
    private final Duration wait;
    private final boolean fixed;
    private final int taskCpus;

    TaskSlots(IntSupplier available, int needed, Duration wait, boolean fixed, int taskCpus) {
        this.available = available;
        this.needed = needed;
        this.wait = wait;
        this.fixed = fixed;
        this.taskCpus = taskCpus;
    }

    /** The slots of {@code sc}'s live executors (local masters: a fixed number, no waiting). */
    static TaskSlots of(SparkContext sc, int needed, Duration wait) {
        return new TaskSlots(() -> sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile()),
                needed, wait, sc.isLocal(), sc.conf().getInt("spark.task.cpus", 1));
    }

    /**
     * Watches the slots while a round's stage runs. The check before the round cannot see a node lost
     * between it and the launch, and Spark then neither launches the barrier stage (not all W tasks
     * fit) nor fails it: the run would wait without end. When the slots stay below W for the wait,
     * {@code onShortage} runs once, on the watch's own daemon thread (the caller cancels the stage;
     * its retry then meets {@link #await}). Local masters have a fixed number of slots: nothing to watch.
     */
    Watch watch(Runnable onShortage) {
        return fixed ? () -> { } : new Polling(onShortage);
    }

    /** A running watch; closing it stops it. */
    interface Watch extends AutoCloseable {
        @Override
        void close();
    }

    private final class Polling implements Watch {
        private final Thread thread;
        private volatile boolean closed;

        Polling(Runnable onShortage) {
            thread = new Thread(() -> {
                long shortSince = -1;
                while (!closed) {
                    long now = System.nanoTime();
                    if (available.getAsInt() >= needed) {
                        shortSince = -1;
                    } else if (shortSince < 0) {
                        shortSince = now;
                    } else if (now - shortSince >= wait.toNanos()) {
                        onShortage.run();
                        return;
                    }
                    try {
                        Thread.sleep(POLL_MILLIS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "syncbn-slot-watch");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() {
            closed = true;
            thread.interrupt();
        }
    }

    /** Returns once {@code needed} slots exist; throws {@link ClusterCapacityException} when they do not come. */
    void await() {
        long deadline = System.nanoTime() + wait.toNanos();
        int have = available.getAsInt();
        while (have < needed) {
            if (fixed || System.nanoTime() >= deadline) {
                throw new ClusterCapacityException("train.workers = " + needed + " needs " + needed
                        + " task slots at once (one barrier task per worker), the cluster has " + have
                        + " (executor cores / spark.task.cpus = " + taskCpus + ")"
                        + (fixed ? "" : " after waiting " + wait.toSeconds() + " s (spark.slotWaitSec)")
                        + ": add executors or cores, or lower train.workers");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for task slots", e);
            }
            have = available.getAsInt();
        }
    }
}
