package org.syncbn.worker;

import org.apache.spark.BarrierTaskContext;
import org.syncbn.collective.Collective;
import org.syncbn.collective.CollectiveSecurity;
import org.syncbn.collective.TcpCollective;

import java.io.Serializable;
import java.time.Duration;

/** How the task of a round joins the collective of all the round's workers. */
public interface MeshJoin extends Serializable {

    /** This task's member of the round's collective, over all W workers. */
    Collective join(BarrierTaskContext task, RoundState round);

    /**
     * Direct TCP sockets between the tasks, found through the driver's rendezvous server when the
     * round names one ({@link RoundState#rendezvous}), else through one Spark barrier allGather.
     */
    static MeshJoin tcp(Duration timeout, CollectiveSecurity security) {
        return new Tcp(timeout, security);
    }

    /**
     * {@link #tcp}; every connection authenticates with the job's secret, which reaches the task in
     * its closure (Spark protects it with spark.authenticate and spark.network.crypto.enabled).
     */
    record Tcp(Duration timeout, CollectiveSecurity security) implements MeshJoin {
        @Override
        public Collective join(BarrierTaskContext task, RoundState round) {
            if (round.rendezvous() == null) {
                return TcpCollective.fromBarrier(task, timeout, security);
            }
            return TcpCollective.fromDriver(task, round.rendezvous(), round.tokenPrefix() + task.stageAttemptNumber(),
                    timeout, security);
        }
    }
}
