package org.syncbn.train;

/** Called on the driver after every merged round, in order. */
@FunctionalInterface
public interface RoundListener {
    void onRound(RoundReport report, TrainingState state);
}
