package org.syncbn.worker;

import org.syncbn.data.Shard;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;

/** Adapts a {@link RoundTask} to the Scala function {@code RDDBarrier.mapPartitions} takes (Spark has no Java barrier API). */
final class BarrierFunction extends AbstractFunction1<scala.collection.Iterator<Shard>, scala.collection.Iterator<WorkerResult>>
        implements Serializable {
    private final RoundTask task;

    BarrierFunction(RoundTask task) {
        this.task = task;
    }

    @Override
    public scala.collection.Iterator<WorkerResult> apply(scala.collection.Iterator<Shard> partition) {
        return JavaConverters.asScalaIteratorConverter(task.run(JavaConverters.asJavaIteratorConverter(partition).asJava()))
                .asScala();
    }
}
