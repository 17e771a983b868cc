package org.syncbn.bn;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MomentMathTest {

    /** Two-pass mean and biased variance of the concatenation of all groups: the reference. */
    private static double[] concatenatedStats(double[][] groups) {
        double sum = 0;
        int n = 0;
        for (double[] g : groups) {
            for (double x : g) {
                sum += x;
                n++;
            }
        }
        double mean = sum / n;
        double ss = 0;
        for (double[] g : groups) {
            for (double x : g) {
                ss += (x - mean) * (x - mean);
            }
        }
        return new double[] {mean, ss / n, n};
    }

    private static double[][] randomGroups(Random rnd, int k, boolean allowEmpty) {
        double[][] groups = new double[k][];
        for (int i = 0; i < k; i++) {
            int n = (allowEmpty && i == 1) ? 0 : 1 + rnd.nextInt(50);
            groups[i] = new double[n];
            double shift = 1000 * rnd.nextGaussian();   // far-apart groups: cancellation would show
            for (int j = 0; j < n; j++) {
                groups[i][j] = shift + rnd.nextGaussian() * (1 + i);
            }
        }
        return groups;
    }

    @Test
    void runningStatsMergeEqualsStatisticsOfConcatenatedData() {
        Random rnd = new Random(1);
        for (int trial = 0; trial < 50; trial++) {
            double[][] groups = randomGroups(rnd, 2 + rnd.nextInt(4), false);
            int k = groups.length;
            double[] w = new double[k];
            double[][] means = new double[k][1];
            double[][] vars = new double[k][1];
            for (int i = 0; i < k; i++) {
                double[] s = concatenatedStats(new double[][] {groups[i]});
                w[i] = s[2];
                means[i][0] = s[0];
                vars[i][0] = s[1];
            }
            double[] mean = new double[1];
            double[] var = new double[1];
            MomentMath.mergeRunningStats(w, means, vars, mean, var);
            double[] ref = concatenatedStats(groups);
            assertEquals(ref[0], mean[0], 1e-9 * Math.max(1, Math.abs(ref[0])));
            assertEquals(ref[1], var[0], 1e-9 * Math.max(1, ref[1]));
        }
    }

    @Test
    void chanMergeEqualsStatisticsOfConcatenatedDataIncludingEmptyWorker() {
        Random rnd = new Random(2);
        for (int trial = 0; trial < 50; trial++) {
            double[][] groups = randomGroups(rnd, 3, true);
            double[] counts = new double[3];
            double[][] means = new double[3][1];
            double[][] m2s = new double[3][1];
            for (int i = 0; i < 3; i++) {
                counts[i] = groups[i].length;
                if (groups[i].length > 0) {
                    double[] s = concatenatedStats(new double[][] {groups[i]});
                    means[i][0] = s[0];
                    m2s[i][0] = s[1] * s[2];
                }
            }
            double[] mean = new double[1];
            double[] m2 = new double[1];
            double n = MomentMath.chanMerge(counts, means, m2s, mean, m2);
            double[] ref = concatenatedStats(groups);
            assertEquals(ref[2], n);
            assertEquals(ref[0], mean[0], 1e-9 * Math.max(1, Math.abs(ref[0])));
            assertEquals(ref[1], m2[0] / n, 1e-9 * Math.max(1, ref[1]));
        }
    }

    @Test
    void mergeOfIdenticalStatisticsIsBitwiseIdentity() {
        double[] w = {1, 1, 1};
        double mu = 0.1234567890123;
        double v = 3.3333333333333;
        double[][] means = {{mu}, {mu}, {mu}};
        double[][] vars = {{v}, {v}, {v}};
        double[] mean = new double[1];
        double[] var = new double[1];
        MomentMath.mergeRunningStats(w, means, vars, mean, var);
        assertEquals(Double.doubleToLongBits(mu), Double.doubleToLongBits(mean[0]));
        assertEquals(Double.doubleToLongBits(v), Double.doubleToLongBits(var[0]));
    }

    @Test
    void zeroWeightWorkersAreIgnored() {
        double[] mean = new double[1];
        double[] var = new double[1];
        MomentMath.mergeRunningStats(new double[] {0, 4}, new double[][] {{100}, {2}}, new double[][] {{50}, {3}},
                mean, var);
        assertEquals(2, mean[0]);
        assertEquals(3, var[0]);
        assertThrows(IllegalArgumentException.class, () -> MomentMath.mergeRunningStats(new double[] {0, 0},
                new double[][] {{1}, {2}}, new double[][] {{1}, {1}}, mean, var));
    }

    @Test
    void log10StdRoundTripsThroughVariance() {
        for (double var : new double[] {1e-8, 0.01, 1, 2.5, 1e6}) {
            double l = MomentMath.varToLog10Std(var);
            assertEquals(Math.log10(Math.sqrt(var)), l, 0);
            assertEquals(var, MomentMath.log10StdToVar(l), 1e-12 * var);
        }
        assertEquals(1.0, MomentMath.log10StdToVar(0.0), 0);
        assertEquals(100.0, MomentMath.log10StdToVar(1.0), 1e-12);
    }
}
