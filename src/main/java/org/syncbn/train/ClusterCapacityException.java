package org.syncbn.train;

/**
 * The cluster cannot run the job as specified (too few task slots for the barrier stages). Not
 * retried; its message is one line for the user.
 */
public final class ClusterCapacityException extends RuntimeException {
    public ClusterCapacityException(String message) {
        super(message);
    }

    /** The first ClusterCapacityException in {@code t}'s cause chain, or null. */
    public static ClusterCapacityException findIn(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ClusterCapacityException e) {
                return e;
            }
        }
        return null;
    }
}
