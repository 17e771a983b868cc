package org.syncbn.retrain;

/**
 * How a retrain ended.
 *
 * @param outcome   promoted, kept (the gate rejected the candidate) or skipped (snapshot already trained)
 * @param version   the candidate version (null when skipped)
 * @param current   the version CURRENT names afterwards (null when there is none)
 * @param message   one line for the log
 */
public record RetrainResult(Outcome outcome, Integer version, Integer current, String message) {

    public enum Outcome { PROMOTED, KEPT, SKIPPED }

    /** Exit code for schedulers: 0 promoted, 3 CURRENT kept (rejected or skipped). */
    public int exitCode() {
        return outcome == Outcome.PROMOTED ? 0 : 3;
    }
}
