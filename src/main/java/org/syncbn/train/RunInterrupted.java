package org.syncbn.train;

/**
 * The run stopped because it was asked to ({@link StopRequest}): at a step boundary of round
 * {@link #round()} (0-based), or while that round's results were being written. Everything the
 * rounds before it wrote is intact (every file is replaced atomically); a resume continues from the
 * last checkpoint.
 */
public final class RunInterrupted extends RuntimeException {
    private final int round;

    RunInterrupted(int round, Throwable cause) {
        super("interrupted at round " + (round + 1), cause);
        this.round = round;
    }

    /** The 0-based round the run was in. */
    public int round() {
        return round;
    }

    /** The first RunInterrupted in {@code t}'s cause chain, or null. */
    public static RunInterrupted findIn(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof RunInterrupted r) {
                return r;
            }
        }
        return null;
    }
}
