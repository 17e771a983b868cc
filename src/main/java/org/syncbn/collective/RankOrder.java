package org.syncbn.collective;

import java.time.Duration;

/** Pure helpers shared by the implementations: rank-ordered sums, length checks, wording. */
final class RankOrder {
    private RankOrder() {
    }

    /**
     * {@code ((parts[0] + parts[1]) + parts[2]) + ...} in the parts' own precision: one fixed
     * order, so every member agrees bitwise. The large-buffer path of {@link TcpMesh} adds each
     * element in exactly this order too.
     */
    static Object sum(ElementType type, Object[] parts) {
        Object s = type.copyOf(parts[0]);
        int n = type.length(s);
        for (int r = 1; r < parts.length; r++) {
            type.add(parts[r], 0, s, 0, n);
        }
        return s;
    }

    /**
     * Throws the same {@link IllegalStateException} on every member when the lengths differ;
     * {@code offset} is the global rank of {@code parts[0]}, since messages name global ranks.
     */
    static void requireEqualLengths(ElementType type, Object[] parts, int offset, String who, Op op, long seq) {
        int[] lengths = new int[parts.length];
        for (int r = 0; r < parts.length; r++) {
            lengths[r] = type.length(parts[r]);
        }
        requireEqualLengths(lengths, offset, who, op, seq);
    }

    static void requireEqualLengths(int[] lengths, int offset, String who, Op op, long seq) {
        for (int n : lengths) {
            if (n != lengths[0]) {
                StringBuilder sb = new StringBuilder(who).append(": ").append(op).append(" #").append(seq)
                        .append(": members passed arrays of different lengths (");
                for (int r = 0; r < lengths.length; r++) {
                    sb.append(r == 0 ? "" : ", ").append("rank ").append(offset + r).append(": ").append(lengths[r]);
                }
                throw new LengthMismatchException(sb.append(')').toString());
            }
        }
    }

    /** Members passed arrays of different lengths; every member throws it alike, and the collective stays usable. */
    static final class LengthMismatchException extends IllegalStateException {
        LengthMismatchException(String message) {
            super(message);
        }
    }

    /** A fresh {@code double[][]} or {@code float[][]} of copies of the parts. */
    static Object deepCopy(ElementType type, Object[] parts) {
        Object[] copy = type == ElementType.F64 ? new double[parts.length][] : new float[parts.length][];
        for (int r = 0; r < parts.length; r++) {
            copy[r] = type.copyOf(parts[r]);
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
