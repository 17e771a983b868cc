package org.syncbn.bn;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The arithmetic of {@link BnStatistics}: Chan's merge, the pooled running statistics, log10(std). */
class BnStatisticsTest {

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

    private static BnStatistics pool(double[] weights, double[][] means, double[][] vars) {
        List<BnStatistics> running = new ArrayList<>();
        for (int k = 0; k < weights.length; k++) {
            running.add(BnStatistics.running(means[k], vars[k]));
        }
        return BnStatistics.poolRunning(weights, running);
    }

    @Test
    void payloadRoundTripsAndHoldsCountMeansThenM2s() {
        BnStatistics s = new BnStatistics(12, new double[] {1, 2}, new double[] {3, 4});
        assertArrayEquals(new double[] {12, 1, 2, 3, 4}, s.toPayload(), 0);
        BnStatistics back = BnStatistics.fromPayload(s.toPayload());
        assertEquals(12, back.count());
        assertArrayEquals(s.mean(), back.mean(), 0);
        assertArrayEquals(s.m2(), back.m2(), 0);
        assertEquals(5, BnStatistics.payloadLength(2));
        assertArrayEquals(new double[] {0.25, 1.0 / 3}, s.variance(), 0);
    }

    @Test
    void runningAverageFollowsDl4jsRuleBatchAfterBatch() {
        BnStatistics run = BnStatistics.running(new double[] {1}, new double[] {4});
        BnStatistics b1 = BnStatistics.ofBatch(10, new double[] {3}, new double[] {2});
        BnStatistics b2 = BnStatistics.ofBatch(5, new double[] {-1}, new double[] {8});
        BnStatistics after = run.runningAfter(List.of(b1, b2), 0.9);
        double m = 1 - 0.1 * (1 - 3);
        m = m - 0.1 * (m + 1);
        double v = 0.9 * (0.9 * 4 + 0.1 * 2) + 0.1 * 8;
        assertEquals(m, after.mean()[0], 1e-15);
        assertEquals(v, after.variance()[0], 1e-15);
        assertArrayEquals(new double[] {BnStatistics.varToLog10Std(v)}, after.storedVariance(true), 1e-15);
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
            BnStatistics pooled = pool(w, means, vars);
            double[] mean = pooled.mean();
            double[] var = pooled.variance();
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
            List<BnStatistics> parts = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                parts.add(new BnStatistics(counts[i], means[i], m2s[i]));
            }
            BnStatistics merged = BnStatistics.merge(parts);
            double n = merged.count();
            double[] mean = merged.mean();
            double[] m2 = merged.m2();
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
        BnStatistics pooled = pool(w, means, vars);
        assertEquals(Double.doubleToLongBits(mu), Double.doubleToLongBits(pooled.mean()[0]));
        assertEquals(Double.doubleToLongBits(v), Double.doubleToLongBits(pooled.variance()[0]));
    }

    @Test
    void zeroWeightWorkersAreIgnored() {
        BnStatistics pooled = pool(new double[] {0, 4}, new double[][] {{100}, {2}}, new double[][] {{50}, {3}});
        assertEquals(2, pooled.mean()[0]);
        assertEquals(3, pooled.variance()[0]);
        assertThrows(IllegalArgumentException.class, () -> pool(new double[] {0, 0},
                new double[][] {{1}, {2}}, new double[][] {{1}, {1}}));
    }

    @Test
    void log10StdRoundTripsThroughVariance() {
        for (double var : new double[] {1e-8, 0.01, 1, 2.5, 1e6}) {
            double l = BnStatistics.varToLog10Std(var);
            assertEquals(Math.log10(Math.sqrt(var)), l, 0);
            assertEquals(var, BnStatistics.log10StdToVar(l), 1e-12 * var);
        }
        assertEquals(1.0, BnStatistics.log10StdToVar(0.0), 0);
        assertEquals(100.0, BnStatistics.log10StdToVar(1.0), 1e-12);
    }
}
