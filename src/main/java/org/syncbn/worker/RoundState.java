package org.syncbn.worker;

import java.io.Serializable;

/**
 * What the driver broadcasts to the workers at the start of a round.
 *
 * @param params      flat parameters (incl. BN running statistics)
 * @param updater     flat updater state (empty when the updater has none)
 * @param epoch       epoch the round belongs to
 * @param firstStep   first step of the round within its epoch
 * @param steps       steps in this round
 * @param iteration   optimizer iterations done before this round (drives Adam's bias correction)
 * @param round       global round index
 * @param attempt     the driver's attempt at this round (0 first; a failed round is re-run)
 * @param rendezvous  the driver's rendezvous server "host:port", or null to use the barrier allGather
 * @param tokenPrefix the rendezvous token of this attempt; a task appends its stage attempt number
 */
public record RoundState(double[] params, double[] updater, int epoch, int firstStep, int steps,
                         int iteration, int round, int attempt, String rendezvous, String tokenPrefix)
        implements Serializable {}
