package org.syncbn.train;

import java.util.Locale;

/**
 * Training diverged: a step's loss or parameters became NaN or infinite, or a merge made them so.
 * The run stops; nothing after the last good round is written (no checkpoint, no model.zip). Not
 * retried: the same round gives the same numbers again.
 */
public final class DivergedException extends RuntimeException {
    private DivergedException(String message) {
        super(message);
    }

    /**
     * @param round 0-based global round (the message counts from 1, as the progress lines do)
     * @param step  1-based optimizer step counted from the start of training
     * @param loss  the training loss of that step's worker over the round so far (of the round, for a merge)
     * @param where what went non-finite when the loss did not ("parameters", "merged parameters"), else null
     */
    static DivergedException at(int round, long step, double loss, String where) {
        String shown = Double.isFinite(loss) ? String.format(Locale.ROOT, "%.4f", loss) : Double.toString(loss);
        return new DivergedException(String.format(Locale.ROOT,
                "diverged at round %d, step %d (train loss %s%s): lower optim.lr or check the data",
                round + 1, step, shown, Double.isFinite(loss) && where != null ? ", non-finite " + where : ""));
    }

    /** The first DivergedException in {@code t}'s cause chain, or null. */
    public static DivergedException findIn(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof DivergedException e) {
                return e;
            }
        }
        return null;
    }
}
