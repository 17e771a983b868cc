package org.syncbn.cli;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.List;

/**
 * Run in a child JVM by {@link EmbeddedSparkSecurityTest}: opens the command line's own Spark session
 * with a barrier timeout of {@code args[0]} seconds and runs one barrier stage of two tasks in which
 * task 0 never reaches the allGather (it sleeps) and task 1 waits in it. Prints how long the stage
 * took to fail.
 */
public final class BarrierTimeoutProbe {
    private BarrierTimeoutProbe() {
    }

    /** Task 0 is stuck before the round's allGather; task 1 waits there. */
    static final class StuckOrWaiting extends AbstractFunction1<scala.collection.Iterator<Integer>,
            scala.collection.Iterator<Integer>> implements Serializable {
        @Override
        public scala.collection.Iterator<Integer> apply(scala.collection.Iterator<Integer> partition) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            if (ctx.partitionId() == 0) {
                try {
                    Thread.sleep(600_000);
                } catch (InterruptedException stopped) {
                    Thread.currentThread().interrupt();
                }
            } else {
                ctx.allGather("waiting");
            }
            return JavaConverters.asScalaIteratorConverter(List.of(ctx.partitionId()).iterator()).asScala();
        }
    }

    public static void main(String[] args) {
        int timeoutSec = Integer.parseInt(args[0]);
        try (SparkSessions spark = SparkSessions.open("barrier-probe", "", 2, timeoutSec)) {
            ClassTag<Integer> tag = ClassTag$.MODULE$.apply(Integer.class);
            RDD<Integer> out = spark.context().parallelize(List.of(0, 1), 2).rdd().barrier()
                    .mapPartitions(new StuckOrWaiting(), false, tag);
            long t0 = System.nanoTime();
            try {
                JavaRDD.fromRDD(out, tag).collect();
                System.out.println("COMPLETED");
            } catch (Exception e) {
                System.out.printf(java.util.Locale.ROOT, "FAILED_AFTER %.1f%n", (System.nanoTime() - t0) / 1e9);
            }
        }
        System.exit(0);   // Spark's barrier timer thread would keep the JVM up
    }
}
