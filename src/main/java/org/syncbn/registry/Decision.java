package org.syncbn.registry;

/**
 * decision.json: what a retrain decided about its candidate version, written after CURRENT was
 * (or was not) moved. A version without one is an attempt that was interrupted.
 *
 * @param version        the candidate version
 * @param outcome        promoted, kept (CURRENT stays) or abandoned (an interrupted attempt set aside)
 * @param reason         one line saying why
 * @param candidate      the candidate's holdout score (null for an abandoned attempt)
 * @param currentVersion the version that was CURRENT when the decision was taken, or null
 * @param current        CURRENT's score on the same holdout, or null
 * @param maxRegression  the gate's allowance
 * @param time           when the decision was taken (ISO-8601)
 */
public record Decision(int version, Outcome outcome, String reason, Score candidate, Integer currentVersion,
                       Score current, double maxRegression, String time) {

    public enum Outcome { PROMOTED, KEPT, ABANDONED }

    /** A model's result on the holdout, in inference mode. */
    public record Score(long examples, double accuracy, double loss) {}
}
