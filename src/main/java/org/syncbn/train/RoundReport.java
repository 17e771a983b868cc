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
 * @param stepSeconds the slowest worker's time in its optimizer steps; the rest of
 *                    {@code seconds} is the round's overhead (stage launch, state transfer, merge)
 */
public record RoundReport(int round, int epoch, boolean endsEpoch, long samples, double meanLoss, double seconds,
                          double stepSeconds) {}
