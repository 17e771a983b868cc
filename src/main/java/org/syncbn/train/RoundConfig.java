package org.syncbn.train;

import org.syncbn.bn.BnMode;
import org.syncbn.data.ShardPlan;

import java.io.Serializable;

/**
 * What every round's workers need to know besides the broadcast state.
 *
 * @param runId             identity of the run (keys the per-JVM network cache)
 * @param confJson          the network configuration
 * @param plan              sharding and batch layout
 * @param stepsPerRound     K
 * @param threadsPerWorker  native threads per worker
 * @param bnMode            where BN statistics come from
 * @param timeoutSec        collective timeout
 * @param driverRendezvous  use the driver's rendezvous server (else Spark's barrier allGather)
 * @param roundAttempts     how often the driver runs a failed round before giving up
 * @param slotWaitSec       how long the driver waits for W task slots before a round
 * @param fault             injected failure (tests only), or null
 */
public record RoundConfig(String runId, String confJson, ShardPlan plan, int stepsPerRound, int threadsPerWorker,
                          BnMode bnMode, int timeoutSec, boolean driverRendezvous, int roundAttempts,
                          int slotWaitSec, FaultInjection fault) implements Serializable {

    /** Whether the workers of a round exchange BN statistics (sync or group mode with W > 1). */
    public boolean communicates() {
        return bnMode.communicates() && plan.workers() > 1
                && !(bnMode.kind() == BnMode.Kind.GROUP && bnMode.size() == 1);
    }
}
