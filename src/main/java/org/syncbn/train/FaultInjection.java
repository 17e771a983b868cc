package org.syncbn.train;

import java.io.Serializable;

/**
 * A test seam for failure handling: on the first attempt of {@code round}, worker {@code rank}
 * closes its collective's sockets just before step {@code step} of the round, as a dying executor
 * would. Not reachable from job specs; tests pass it through {@link TrainingJob.Options}.
 */
public record FaultInjection(int round, int rank, int step) implements Serializable {

    boolean hits(int round, int attempt, int rank, int step) {
        return attempt == 0 && round == this.round && rank == this.rank && step == this.step;
    }
}
