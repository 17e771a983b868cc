package org.syncbn.train;

/**
 * What happened in one round.
 *
 * @param round       global round index
 * @param epoch       its epoch
 * @param endsEpoch   whether the round finished the epoch
 * @param samples     training examples processed by all workers
 * @param meanLoss    sample-weighted mean training loss over the round's steps
 * @param seconds     wall time of the round (broadcast, barrier stage, collect, merge)
 */
public record RoundReport(int round, int epoch, boolean endsEpoch, long samples, double meanLoss, double seconds) {}
