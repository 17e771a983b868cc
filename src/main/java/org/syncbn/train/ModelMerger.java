package org.syncbn.train;

import org.syncbn.bn.BnStatistics;

import org.syncbn.network.ParamLayout;
import org.syncbn.worker.WorkerResult;

import java.util.List;

/**
 * The driver's merge of worker results after a round (docs/ARCHITECTURE.md, "Merging between rounds").
 *
 * <p>Parameters and updater state: average weighted by the samples each worker processed.
 * BN running statistics: law of total variance ({@link BnStatistics#poolRunning}), through
 * DL4J's log10(std) parameterisation where the layer uses it. Workers are visited in rank
 * order, so the result is bitwise reproducible.
 */
public final class ModelMerger {
    private final ParamLayout layout;

    public ModelMerger(ParamLayout layout) {
        this.layout = layout;
    }

    /** Merged (params, updater state). Results must be sorted by rank. */
    public TrainingState.Flat merge(List<WorkerResult> results) {
        double[] weights = new double[results.size()];
        for (int k = 0; k < weights.length; k++) {
            weights[k] = results.get(k).samples();
        }
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        if (total <= 0) {
            throw new IllegalStateException("no worker processed any example in this round");
        }
        double[] params = weightedMean(results, weights, total, true);
        double[] updater = weightedMean(results, weights, total, false);
        for (ParamLayout.BnStatsSlot slot : layout.bnStats()) {
            mergeBnStats(results, weights, slot, params);
        }
        return new TrainingState.Flat(params, updater);
    }

    private static double[] weightedMean(List<WorkerResult> results, double[] weights, double total, boolean params) {
        int n = (params ? results.get(0).params() : results.get(0).updater()).length;
        double[] out = new double[n];
        int contributing = 0;
        int last = -1;
        for (int k = 0; k < results.size(); k++) {
            if (weights[k] > 0) {
                contributing++;
                last = k;
            }
        }
        if (contributing == 1) {
            double[] only = params ? results.get(last).params() : results.get(last).updater();
            System.arraycopy(only, 0, out, 0, n);
            return out;
        }
        for (int k = 0; k < results.size(); k++) {
            if (weights[k] == 0) {
                continue;
            }
            double w = weights[k] / total;
            double[] src = params ? results.get(k).params() : results.get(k).updater();
            if (src.length != n) {
                throw new IllegalStateException("worker " + k + " returned " + src.length + " values, expected " + n);
            }
            for (int i = 0; i < n; i++) {
                out[i] += w * src[i];
            }
        }
        return out;
    }

    private static void mergeBnStats(List<WorkerResult> results, double[] weights, ParamLayout.BnStatsSlot slot,
                                     double[] out) {
        int c = slot.channels();
        List<BnStatistics> running = new java.util.ArrayList<>(results.size());
        for (WorkerResult r : results) {
            double[] p = r.params();
            running.add(BnStatistics.fromStored(java.util.Arrays.copyOfRange(p, slot.meanOffset(), slot.meanOffset() + c),
                    java.util.Arrays.copyOfRange(p, slot.varOffset(), slot.varOffset() + c), slot.log10Std()));
        }
        BnStatistics pooled = BnStatistics.poolRunning(weights, running);
        double[] stored = pooled.storedVariance(slot.log10Std());
        for (int j = 0; j < c; j++) {
            int first = identicalRawStats(results, weights, slot.meanOffset() + j, slot.varOffset() + j);
            if (first >= 0) {
                // sync BN: all workers hold the same statistics; skip the log10 round trip's last-bit noise
                out[slot.meanOffset() + j] = results.get(first).params()[slot.meanOffset() + j];
                out[slot.varOffset() + j] = results.get(first).params()[slot.varOffset() + j];
            } else {
                out[slot.meanOffset() + j] = pooled.mean()[j];
                out[slot.varOffset() + j] = stored[j];
            }
        }
    }

    /** Rank of the first contributing worker when all contributors hold bitwise-equal values, else -1. */
    private static int identicalRawStats(List<WorkerResult> results, double[] weights, int meanAt, int varAt) {
        int first = -1;
        for (int k = 0; k < results.size(); k++) {
            if (weights[k] == 0) {
                continue;
            }
            double[] p = results.get(k).params();
            if (first < 0) {
                first = k;
            } else {
                double[] f = results.get(first).params();
                if (Double.doubleToLongBits(p[meanAt]) != Double.doubleToLongBits(f[meanAt])
                        || Double.doubleToLongBits(p[varAt]) != Double.doubleToLongBits(f[varAt])) {
                    return -1;
                }
            }
        }
        return first;
    }
}
