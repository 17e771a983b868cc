package org.syncbn.train;

/**
 * Cuts epochs into rounds of at most K steps; a round never crosses an epoch end, so every epoch
 * ends with a merge and can be evaluated and checkpointed.
 *
 * @param stepsPerEpoch steps that consume the largest shard once
 * @param stepsPerRound K
 */
public record RoundSchedule(int stepsPerEpoch, int stepsPerRound) {

    public int roundsPerEpoch() {
        return (stepsPerEpoch + stepsPerRound - 1) / stepsPerRound;
    }

    public int epochOf(int round) {
        return round / roundsPerEpoch();
    }

    public int firstStep(int round) {
        return (round % roundsPerEpoch()) * stepsPerRound;
    }

    public int steps(int round) {
        return Math.min(stepsPerRound, stepsPerEpoch - firstStep(round));
    }

    /** Optimizer iterations completed before {@code round}. */
    public int iterationsBefore(int round) {
        return epochOf(round) * stepsPerEpoch + firstStep(round);
    }

    public boolean endsEpoch(int round) {
        return firstStep(round) + steps(round) == stepsPerEpoch;
    }

    /** First round of {@code epoch}. */
    public int firstRound(int epoch) {
        return epoch * roundsPerEpoch();
    }
}
