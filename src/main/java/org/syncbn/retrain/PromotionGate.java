package org.syncbn.retrain;

import org.syncbn.registry.Decision.Score;

import java.util.Locale;

/**
 * The evaluation gate: a candidate is promoted unless its holdout accuracy is below CURRENT's
 * by more than {@code maxRegression} (absolute). Without a CURRENT, any candidate is promoted.
 */
public record PromotionGate(double maxRegression) {

    /** The gate's answer and why, in one line. */
    public record Verdict(boolean promote, String reason) {}

    public Verdict judge(Score candidate, Integer currentVersion, Score current) {
        if (current == null) {
            return new Verdict(true, "no CURRENT version yet");
        }
        double drop = current.accuracy() - candidate.accuracy();
        String numbers = String.format(Locale.ROOT, "holdout accuracy %.4f vs CURRENT v%d's %.4f (allowed drop %.4f)",
                candidate.accuracy(), currentVersion, current.accuracy(), maxRegression);
        // NaN (a diverged candidate) fails the comparison and is never promoted
        boolean promote = Double.isFinite(candidate.accuracy()) && !(drop > maxRegression);
        return new Verdict(promote, (promote ? "not worse than allowed: " : "worse than allowed: ") + numbers);
    }
}
