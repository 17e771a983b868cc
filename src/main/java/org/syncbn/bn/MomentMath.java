package org.syncbn.bn;

/**
 * All batch-normalisation moment arithmetic of the project, in double precision.
 *
 * <p>Two merges live here:
 * <ul>
 *   <li>{@link #chanMerge}: exact pooled (count, mean, M2) of several workers' batches
 *       (Chan, Golub &amp; LeVeque): {@code N = Σ n_k}, {@code μ = Σ n_k m_k / N},
 *       {@code M2 = Σ [M2_k + n_k (m_k − μ)²]}. Never {@code Σx² − (Σx)²/N}, which cancels
 *       catastrophically in float.</li>
 *   <li>{@link #mergeRunningStats}: the driver's merge of per-worker running statistics with
 *       weights {@code w_k} (law of total variance): {@code μ = Σ w_k μ_k},
 *       {@code σ² = Σ w_k (σ²_k + (μ_k − μ)²)}.</li>
 * </ul>
 * and DL4J's log10(std) parameterisation of the running variance: {@code σ² = (10^l)²}.
 */
public final class MomentMath {
    private MomentMath() {
    }

    /** DL4J's log10stdev parameter to variance: {@code σ² = 10^(2l)}. */
    public static double log10StdToVar(double log10Std) {
        double std = Math.pow(10.0, log10Std);
        return std * std;
    }

    /** Variance to DL4J's log10stdev parameter: {@code l = log10(sqrt(σ²))}. */
    public static double varToLog10Std(double var) {
        return Math.log10(Math.sqrt(var));
    }

    /**
     * Law-of-total-variance merge of running statistics, per channel, in place into
     * {@code outMean}/{@code outVar}. Weights need not be normalised; zero-weight workers are
     * ignored. When every contributing worker holds bitwise the same statistics (sync BN), they
     * are returned unchanged, so the merge is exactly the identity there.
     *
     * @param weights  w_k, one per worker (samples processed)
     * @param means    means[k][c]
     * @param vars     vars[k][c] (variances, not log10 std)
     */
    public static void mergeRunningStats(double[] weights, double[][] means, double[][] vars,
                                         double[] outMean, double[] outVar) {
        double total = 0;
        for (double w : weights) {
            if (w < 0 || !Double.isFinite(w)) {
                throw new IllegalArgumentException("merge weight must be finite and >= 0, got " + w);
            }
            total += w;
        }
        if (total <= 0) {
            throw new IllegalArgumentException("merge needs at least one worker with positive weight");
        }
        int channels = outMean.length;
        for (int c = 0; c < channels; c++) {
            if (allContributorsEqual(weights, means, vars, c)) {
                int k = firstPositive(weights);
                outMean[c] = means[k][c];
                outVar[c] = vars[k][c];
                continue;
            }
            double mu = 0;
            for (int k = 0; k < weights.length; k++) {
                if (weights[k] > 0) {
                    mu += (weights[k] / total) * means[k][c];
                }
            }
            double var = 0;
            for (int k = 0; k < weights.length; k++) {
                if (weights[k] > 0) {
                    double d = means[k][c] - mu;
                    var += (weights[k] / total) * (vars[k][c] + d * d);
                }
            }
            outMean[c] = mu;
            outVar[c] = var;
        }
    }

    /**
     * Chan's parallel merge of per-worker moments, per channel, in place into the outputs.
     * Workers with {@code n_k = 0} contribute nothing. With {@code N = 0} the outputs are zero.
     *
     * @param counts n_k, one per worker
     * @param means  means[k][c], the local mean m_k
     * @param m2s    m2s[k][c] = Σ (x − m_k)² over worker k's elements of channel c
     * @return N = Σ n_k
     */
    public static double chanMerge(double[] counts, double[][] means, double[][] m2s,
                                   double[] outMean, double[] outM2) {
        double total = 0;
        for (double n : counts) {
            total += n;
        }
        int channels = outMean.length;
        for (int c = 0; c < channels; c++) {
            if (total == 0) {
                outMean[c] = 0;
                outM2[c] = 0;
                continue;
            }
            double weighted = 0;
            for (int k = 0; k < counts.length; k++) {
                weighted += counts[k] * means[k][c];
            }
            double mu = weighted / total;
            double m2 = 0;
            for (int k = 0; k < counts.length; k++) {
                if (counts[k] > 0) {
                    double d = means[k][c] - mu;
                    m2 += m2s[k][c] + counts[k] * d * d;
                }
            }
            outMean[c] = mu;
            outM2[c] = m2;
        }
        return total;
    }

    private static boolean allContributorsEqual(double[] weights, double[][] means, double[][] vars, int c) {
        int first = firstPositive(weights);
        for (int k = first + 1; k < weights.length; k++) {
            if (weights[k] > 0 && (Double.doubleToLongBits(means[k][c]) != Double.doubleToLongBits(means[first][c])
                    || Double.doubleToLongBits(vars[k][c]) != Double.doubleToLongBits(vars[first][c]))) {
                return false;
            }
        }
        return true;
    }

    private static int firstPositive(double[] weights) {
        for (int k = 0; k < weights.length; k++) {
            if (weights[k] > 0) {
                return k;
            }
        }
        throw new IllegalArgumentException("no positive weight");
    }
}
