package org.syncbn.train;

/** Called on the driver after every merged round, in order. */
@FunctionalInterface
public interface RoundListener {
    void onRound(RoundReport report, TrainingState state);

    /** This listener, then {@code next}. */
    default RoundListener then(RoundListener next) {
        return (report, state) -> {
            onRound(report, state);
            next.onRound(report, state);
        };
    }
}
