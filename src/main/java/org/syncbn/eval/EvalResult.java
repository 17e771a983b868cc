package org.syncbn.eval;

import java.io.Serializable;

/**
 * Classification metrics in inference mode, mergeable across partitions.
 *
 * @param count     examples evaluated
 * @param lossSum   Σ cross-entropy −Σ_j y_j ln(max(p_j, 1e-10))
 * @param confusion confusion[actual][predicted]
 */
public record EvalResult(long count, double lossSum, long[][] confusion) implements Serializable {

    public static EvalResult empty(int classes) {
        return new EvalResult(0, 0, new long[classes][classes]);
    }

    public long correct() {
        long c = 0;
        for (int i = 0; i < confusion.length; i++) {
            c += confusion[i][i];
        }
        return c;
    }

    public double accuracy() {
        return count == 0 ? Double.NaN : (double) correct() / count;
    }

    public double meanLoss() {
        return count == 0 ? Double.NaN : lossSum / count;
    }

    /** Sum of two partial results (this first, for a fixed summation order). */
    public EvalResult plus(EvalResult o) {
        long[][] m = new long[confusion.length][confusion.length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m.length; j++) {
                m[i][j] = confusion[i][j] + o.confusion[i][j];
            }
        }
        return new EvalResult(count + o.count, lossSum + o.lossSum, m);
    }
}
