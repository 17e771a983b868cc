package org.syncbn.worker;

import org.syncbn.bn.BnStatistics;
import org.syncbn.collective.Collective;
import org.syncbn.network.ParamLayout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The round-end merge of the workers' states (docs/ARCHITECTURE.md, "Merging between rounds"), done
 * by the workers themselves over their mesh, so the driver receives one merged copy whatever W is.
 *
 * <p>Parameters and updater state: the mean weighted by the samples each worker processed,
 * Σ_k (w_k / W) x_k summed in rank order (one all-reduce of each worker's weighted term). BN running
 * statistics: the law of total variance ({@link BnStatistics#poolRunning}) over the gathered per-worker
 * statistics (small: 2C values per layer), through DL4J's log10(std) parameterisation where a layer
 * uses it; a channel on which every contributing worker holds bitwise the same values (sync BN) keeps
 * them. {@link #of} is the same merge of states held in one place, the reference the tests compare
 * with.
 */
public final class StateMerge {
    private StateMerge() {
    }

    /** A worker's state at the end of a round. */
    public record Local(double[] params, double[] updater, long samples) {}

    /** The merged state, identical on every member. */
    public record Merged(double[] params, double[] updater) {}

    /**
     * The merge over the mesh. With {@code identical} (gradient all-reduce: every worker applied the same
     * updates) parameters and updater state are not averaged but checked equal on every worker and kept;
     * only the BN running statistics, which local, group and ghost BN leave different, are pooled.
     */
    public static Merged onMesh(Collective all, Local local, ParamLayout layout, boolean identical) {
        double[] weights = column(all.allGather(new double[] {local.samples()}));
        double total = total(weights);
        int me = all.rank();
        double[] params;
        double[] updater;
        if (identical) {
            requireAgreement(all, local, layout);
            params = local.params().clone();
            updater = local.updater().clone();
        } else {
            params = all.allReduceSum(term(local.params(), weights[me], total));
            updater = all.allReduceSum(term(local.updater(), weights[me], total));
        }
        for (ParamLayout.BnStatsSlot slot : layout.bnStats()) {
            double[][] gathered = all.allGather(statsOf(local.params(), slot));
            mergeBnStats(gathered, weights, slot, params);
        }
        return new Merged(params, updater);
    }

    /** The same merge of {@code states} (in rank order) held in one place. */
    public static Merged of(List<Local> states, ParamLayout layout) {
        double[] weights = new double[states.size()];
        for (int k = 0; k < weights.length; k++) {
            weights[k] = states.get(k).samples();
        }
        double total = total(weights);
        List<double[]> p = new ArrayList<>();
        List<double[]> u = new ArrayList<>();
        for (int k = 0; k < states.size(); k++) {
            p.add(term(states.get(k).params(), weights[k], total));
            u.add(term(states.get(k).updater(), weights[k], total));
        }
        double[] params = rankOrderSum(p);
        double[] updater = rankOrderSum(u);
        for (ParamLayout.BnStatsSlot slot : layout.bnStats()) {
            double[][] gathered = new double[states.size()][];
            for (int k = 0; k < gathered.length; k++) {
                gathered[k] = statsOf(states.get(k).params(), slot);
            }
            mergeBnStats(gathered, weights, slot, params);
        }
        return new Merged(params, updater);
    }

    private static double total(double[] weights) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        if (total <= 0) {
            throw new IllegalStateException("no worker processed any example in this round");
        }
        return total;
    }

    /** A worker's share of the weighted mean, (w_k / W) x_k; zeros for a worker without examples. */
    private static double[] term(double[] x, double weight, double total) {
        double[] t = new double[x.length];
        if (weight > 0) {
            double w = weight / total;
            for (int i = 0; i < x.length; i++) {
                t[i] = w * x[i];
            }
        }
        return t;
    }

    /** ((t_0 + t_1) + t_2) + ...: the order the collectives sum in. */
    private static double[] rankOrderSum(List<double[]> terms) {
        double[] s = terms.get(0).clone();
        for (int k = 1; k < terms.size(); k++) {
            double[] t = terms.get(k);
            if (t.length != s.length) {
                throw new IllegalStateException("worker " + k + " returned " + t.length + " values, expected " + s.length);
            }
            for (int i = 0; i < s.length; i++) {
                s[i] += t[i];
            }
        }
        return s;
    }

    /** One BN layer's raw running statistics: C means, then C stored variances (variance or log10 std). */
    private static double[] statsOf(double[] params, ParamLayout.BnStatsSlot slot) {
        int c = slot.channels();
        double[] s = new double[2 * c];
        System.arraycopy(params, slot.meanOffset(), s, 0, c);
        System.arraycopy(params, slot.varOffset(), s, c, c);
        return s;
    }

    private static void mergeBnStats(double[][] gathered, double[] weights, ParamLayout.BnStatsSlot slot,
                                     double[] out) {
        int c = slot.channels();
        List<BnStatistics> running = new ArrayList<>(gathered.length);
        for (double[] g : gathered) {
            running.add(BnStatistics.fromStored(Arrays.copyOfRange(g, 0, c), Arrays.copyOfRange(g, c, 2 * c),
                    slot.log10Std()));
        }
        BnStatistics pooled = BnStatistics.poolRunning(weights, running);
        double[] stored = pooled.storedVariance(slot.log10Std());
        for (int j = 0; j < c; j++) {
            int first = identicalRawStats(gathered, weights, j, c);
            if (first >= 0) {
                // sync BN: all workers hold the same statistics; skip the log10 round trip's last-bit noise
                out[slot.meanOffset() + j] = gathered[first][j];
                out[slot.varOffset() + j] = gathered[first][c + j];
            } else {
                out[slot.meanOffset() + j] = pooled.mean()[j];
                out[slot.varOffset() + j] = stored[j];
            }
        }
    }

    /** Rank of the first contributing worker when all contributors hold bitwise-equal values, else -1. */
    private static int identicalRawStats(double[][] gathered, double[] weights, int j, int c) {
        int first = -1;
        for (int k = 0; k < gathered.length; k++) {
            if (weights[k] == 0) {
                continue;
            }
            if (first < 0) {
                first = k;
            } else if (Double.doubleToLongBits(gathered[k][j]) != Double.doubleToLongBits(gathered[first][j])
                    || Double.doubleToLongBits(gathered[k][c + j]) != Double.doubleToLongBits(gathered[first][c + j])) {
                return -1;
            }
        }
        return first;
    }

    /**
     * After a gradient all-reduce every worker applied the same updates: their parameters (outside BN
     * running statistics, which local, group and ghost BN keep per worker) and updater state must be
     * bitwise equal. One all-gather of a digest checks it.
     */
    private static void requireAgreement(Collective all, Local local, ParamLayout layout) {
        double[] own = {digest(local.params(), layout), digest(local.updater(), null)};
        double[][] gathered = all.allGather(own);
        for (int k = 0; k < gathered.length; k++) {
            if (Double.doubleToLongBits(gathered[k][0]) != Double.doubleToLongBits(gathered[0][0])
                    || Double.doubleToLongBits(gathered[k][1]) != Double.doubleToLongBits(gathered[0][1])) {
                throw new IllegalStateException("after the gradient all-reduce worker " + k + " holds other parameters"
                        + " or updater state than worker 0: their updates diverged");
            }
        }
    }

    /** A 64-bit hash of the bits of {@code x}, outside BN running statistics when {@code layout} is given. */
    private static double digest(double[] x, ParamLayout layout) {
        boolean[] skip = new boolean[x.length];
        if (layout != null) {
            for (ParamLayout.BnStatsSlot s : layout.bnStats()) {
                Arrays.fill(skip, s.meanOffset(), s.meanOffset() + s.channels(), true);
                Arrays.fill(skip, s.varOffset(), s.varOffset() + s.channels(), true);
            }
        }
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < x.length; i++) {
            if (!skip[i]) {
                h = (h ^ Double.doubleToRawLongBits(x[i])) * 0x100000001b3L;
            }
        }
        return Double.longBitsToDouble(h & 0x7fefffffffffffffL);   // a finite double carrying the hash
    }

    private static double[] column(double[][] gathered) {
        double[] c = new double[gathered.length];
        for (int k = 0; k < c.length; k++) {
            c[k] = gathered[k][0];
        }
        return c;
    }
}
