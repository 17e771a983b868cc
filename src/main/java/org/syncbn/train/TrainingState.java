package org.syncbn.train;

/**
 * The driver's state between rounds: everything needed to continue training bitwise-identically.
 * All randomness (data order) is derived from the seed and the round, so there is no other
 * RNG state to keep.
 *
 * @param params    merged flat parameters
 * @param updater   merged flat updater state
 * @param nextRound global index of the next round to run
 */
public record TrainingState(double[] params, double[] updater, int nextRound) {

    /** A network's flat state: parameters (incl. BN running statistics) and updater state. */
    public record Flat(double[] params, double[] updater) {}
}
