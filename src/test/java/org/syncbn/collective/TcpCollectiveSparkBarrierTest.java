package org.syncbn.collective;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.junit.jupiter.api.Test;
import org.syncbn.testing.TestSpark;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link TcpCollective#fromBarrier} in a real barrier stage of the shared local Spark context. */
class TcpCollectiveSparkBarrierTest {
    private static final int TASKS = 3;
    private static final int STEPS = 5;

    /** What one barrier task saw. */
    record TaskResult(int rank, int size, List<double[]> sums, double[][] gathered) implements Serializable {
    }

    /** Each task joins the collective once, then runs a few steps' worth of all-reduces. */
    static final class CollectiveTask extends AbstractFunction1<scala.collection.Iterator<Integer>,
            scala.collection.Iterator<TaskResult>> implements Serializable {
        /** Made on the driver, shipped in the task: the way the job's secret reaches its tasks. */
        private final CollectiveSecurity security = new CollectiveSecurity(JobSecret.random(), false);

        @Override
        public scala.collection.Iterator<TaskResult> apply(scala.collection.Iterator<Integer> partition) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            try (TcpCollective c = TcpCollective.fromBarrier(ctx, Duration.ofSeconds(30), security)) {
                List<double[]> sums = new ArrayList<>();
                for (int step = 0; step < STEPS; step++) {
                    sums.add(c.allReduceSum(CollectiveContractTest.data(c.rank(), step, 129)));
                }
                double[][] gathered = c.allGather(new double[] {c.rank(), ctx.partitionId()});
                List<TaskResult> out = List.of(new TaskResult(c.rank(), c.size(), sums, gathered));
                return JavaConverters.asScalaIteratorConverter(out.iterator()).asScala();
            }
        }
    }

    @Test
    void barrierTasksJoinWithOneRendezvousAndAllReduceAmongThemselves() {
        JavaRDD<Integer> ranks = TestSpark.context().parallelize(List.of(0, 1, 2), TASKS);
        ClassTag<TaskResult> tag = ClassTag$.MODULE$.apply(TaskResult.class);
        RDD<TaskResult> out = ranks.rdd().barrier().mapPartitions(new CollectiveTask(), false, tag);
        List<TaskResult> results = new ArrayList<>(JavaRDD.fromRDD(out, tag).collect());
        results.sort(Comparator.comparingInt(TaskResult::rank));

        assertEquals(TASKS, results.size());
        for (int r = 0; r < TASKS; r++) {
            TaskResult t = results.get(r);
            assertEquals(r, t.rank());
            assertEquals(TASKS, t.size());
            for (int step = 0; step < STEPS; step++) {
                double[] expected = CollectiveContractTest.rankOrderedSum(CollectiveContractTest.dataOfRanks(0, TASKS, step, 129));
                Members.assertBitwiseEquals(expected, t.sums().get(step), "task " + r + ", step " + step);
            }
            for (int q = 0; q < TASKS; q++) {
                assertEquals(q, t.gathered()[q][0], "rank order of the gather");
                assertEquals(q, t.gathered()[q][1], "rank is the partition id");
            }
        }
    }
}
