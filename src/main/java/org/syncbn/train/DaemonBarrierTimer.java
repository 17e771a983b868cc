package org.syncbn.train;

import org.apache.spark.BarrierTaskContext$;

import java.lang.reflect.Field;
import java.util.Timer;

/**
 * Spark 3.5's {@code object BarrierTaskContext} owns a {@code java.util.Timer} named "Barrier task
 * timer for barrier() calls.", created with the JVM's first barrier task and never cancelled, not even
 * by {@code SparkContext.stop()}; its thread is not a daemon. In local mode the tasks run in the
 * driver, so a user's program that trains through the API (the Spark ML stage, the dl4j-spark
 * TrainingMaster) would never exit after {@code main} returns. Before a run's first barrier stage the
 * timer is replaced by a daemon timer of the same name: the timer only schedules the "still waiting
 * in barrier()" log line, which a daemon serves as well, and nothing else of Spark changes.
 */
final class DaemonBarrierTimer extends Timer {
    static final String NAME = "Barrier task timer for barrier() calls.";
    /** The field scalac makes of {@code private val timer} in {@code object BarrierTaskContext}. */
    private static final String FIELD = "org$apache$spark$BarrierTaskContext$$timer";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DaemonBarrierTimer.class);

    private DaemonBarrierTimer() {
        super(NAME, true);
    }

    /**
     * Makes Spark's barrier timer of this JVM a daemon (idempotent). A Spark whose object has another
     * shape is left alone, with a warning: programs then need System.exit, as before.
     */
    static void install() {
        synchronized (DaemonBarrierTimer.class) {   // two runs starting at once swap once
            try {
                BarrierTaskContext$ module = BarrierTaskContext$.MODULE$;   // initialising it starts Spark's timer
                Field field = BarrierTaskContext$.class.getDeclaredField(FIELD);
                field.setAccessible(true);
                Object current = field.get(module);
                if (current instanceof DaemonBarrierTimer) {
                    return;
                }
                field.set(module, new DaemonBarrierTimer());
                if (current instanceof Timer spark) {
                    spark.cancel();   // ends its non-daemon thread; nothing was scheduled on it before a barrier stage
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.warn("cannot make Spark's \"{}\" thread a daemon ({}): a program that trains in local mode"
                        + " may need System.exit to end", NAME, e.toString());
            }
        }
    }
}
