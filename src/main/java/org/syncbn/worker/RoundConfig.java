package org.syncbn.worker;

import org.syncbn.bn.BnMode;
import org.syncbn.data.ShardPlan;
import org.syncbn.network.Blueprint;

import java.io.Serializable;

/**
 * What every round's workers need to know besides the broadcast state; made once per run.
 *
 * @param runId            identity of the run (keys the per-JVM network cache)
 * @param network          the network the workers build
 * @param plan             sharding and batch layout
 * @param threadsPerWorker native threads per worker
 * @param bnMode           where BN statistics come from
 * @param sync             what keeps the workers in step (train.sync)
 * @param join             how a task joins its round's collective
 */
public record RoundConfig(String runId, Blueprint network, ShardPlan plan, int threadsPerWorker, BnMode bnMode,
                          org.syncbn.config.JobSpec.SyncMode sync, MeshJoin join) implements Serializable {

    /** Whether the workers of a round exchange BN statistics ({@link BnMode#communicates}). */
    public boolean communicates() {
        return bnMode.communicates(plan.workers());
    }
}
