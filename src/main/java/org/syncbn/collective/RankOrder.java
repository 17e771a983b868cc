package org.syncbn.collective;

import java.time.Duration;

/** Pure helpers shared by the implementations: rank-ordered sums, length checks, wording. */
final class RankOrder {
    private RankOrder() {
    }

    /** {@code ((parts[0] + parts[1]) + parts[2]) + ...}: one fixed order, so every member agrees bitwise. */
    static double[] sum(double[][] parts) {
        double[] s = parts[0].clone();
        for (int r = 1; r < parts.length; r++) {
            double[] p = parts[r];
            for (int i = 0; i < s.length; i++) {
                s[i] += p[i];
            }
        }
        return s;
    }

    /**
     * Throws the same {@link IllegalStateException} on every member when the lengths differ;
     * {@code offset} is the global rank of {@code parts[0]}, since messages name global ranks.
     */
    static void requireEqualLengths(double[][] parts, int offset, String who, Op op, long seq) {
        int n = parts[0].length;
        for (double[] p : parts) {
            if (p.length != n) {
                StringBuilder sb = new StringBuilder(who).append(": ").append(op).append(" #").append(seq)
                        .append(": members passed arrays of different lengths (");
                for (int r = 0; r < parts.length; r++) {
                    sb.append(r == 0 ? "" : ", ").append("rank ").append(offset + r).append(": ").append(parts[r].length);
                }
                throw new IllegalStateException(sb.append(')').toString());
            }
        }
    }

    static double[][] deepCopy(double[][] parts) {
        double[][] copy = new double[parts.length][];
        for (int r = 0; r < parts.length; r++) {
            copy[r] = parts[r].clone();
        }
        return copy;
    }

    /** "30 s" or "1500 ms", for messages. */
    static String describe(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    static long requirePositiveNanos(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the collective timeout must be positive, got " + timeout);
        }
        return timeout.toNanos();
    }

    static void requireDivides(int groupSize, int size) {
        if (groupSize < 1 || size % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " does not divide the collective's size " + size);
        }
    }

    /**
     * The cases of {@link Collective#group} every implementation shares: the whole collective for
     * G = size, a local one for G = 1; null when the implementation must build a real subgroup.
     */
    static Collective trivialGroup(Collective whole, int groupSize) {
        requireDivides(groupSize, whole.size());
        if (groupSize == whole.size()) {
            return whole;
        }
        return groupSize == 1 ? new LocalCollective() : null;
    }
}
