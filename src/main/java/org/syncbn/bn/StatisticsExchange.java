package org.syncbn.bn;

import org.syncbn.collective.Collective;

import java.util.ArrayList;
import java.util.List;

/**
 * What the members of a collective exchange in one SyncBN training step, and nothing else: per layer
 * ONE all-gather forward (every member's {@link BnStatistics} payload, merged with Chan's formula in
 * rank order) and ONE all-reduce backward ({@link GradientSums}: S1 = Σ dy, S2 = Σ dy·(x − μ)). A
 * member with no examples in a step still runs the same sequence, contributing zeros
 * ({@link #sitOutStep}).
 */
public final class StatisticsExchange {
    private StatisticsExchange() {
    }

    /**
     * The backward payload of one layer: per channel S1 = Σ dy and S2 = Σ dy·(x − μ), on the wire
     * as {@code [S1_0..S1_{C-1}, S2_0..S2_{C-1}]}.
     */
    public record GradientSums(double[] s1, double[] s2) {
        double[] toPayload() {
            double[] p = new double[2 * s1.length];
            System.arraycopy(s1, 0, p, 0, s1.length);
            System.arraycopy(s2, 0, p, s1.length, s2.length);
            return p;
        }

        static GradientSums fromPayload(double[] p) {
            int c = p.length / 2;
            double[] s1 = new double[c];
            double[] s2 = new double[c];
            System.arraycopy(p, 0, s1, 0, c);
            System.arraycopy(p, c, s2, 0, c);
            return new GradientSums(s1, s2);
        }

        static GradientSums zeros(int channels) {
            return new GradientSums(new double[channels], new double[channels]);
        }
    }

    /** The statistics of the normalisation batch of all members: one all-gather, merged in rank order. */
    public static BnStatistics forward(Collective members, BnStatistics local) {
        double[][] gathered = members.allGather(local.toPayload());
        List<BnStatistics> parts = new ArrayList<>(gathered.length);
        for (double[] p : gathered) {
            parts.add(BnStatistics.fromPayload(p));
        }
        return BnStatistics.merge(parts);
    }

    /** The members' summed S1 and S2: one all-reduce. */
    public static GradientSums backward(Collective members, GradientSums local) {
        return GradientSums.fromPayload(members.allReduceSum(local.toPayload()));
    }

    /**
     * A member with no examples in a step still joins every collective the others run, in the same
     * order (each layer's forward all-gather, then each layer's backward all-reduce in reverse order),
     * contributing zeros; and it applies the same running-statistics update, so every member keeps
     * identical running statistics.
     *
     * @param layers the network's SyncBN layers in forward order
     */
    public static void sitOutStep(List<SyncBatchNormalizationLayer> layers, Collective members) {
        if (members.size() == 1) {
            return;
        }
        List<BnStatistics> global = sitOutForwardPass(layers, members);
        for (int i = layers.size() - 1; i >= 0; i--) {
            backward(members, GradientSums.zeros(layers.get(i).channels()));
        }
        for (int i = 0; i < layers.size(); i++) {
            BnStatistics batch = global.get(i);
            if (batch.count() > 0) {
                SyncBatchNormalizationLayer layer = layers.get(i);
                layer.runningAfterStep(List.of(batch)).writeRunning(layer);
            }
        }
    }

    /** The forward half of {@link #sitOutStep}: for a training-mode forward pass without backprop. */
    public static void sitOutForward(List<SyncBatchNormalizationLayer> layers, Collective members) {
        if (members.size() > 1) {
            sitOutForwardPass(layers, members);
        }
    }

    private static List<BnStatistics> sitOutForwardPass(List<SyncBatchNormalizationLayer> layers, Collective members) {
        List<BnStatistics> global = new ArrayList<>();
        for (SyncBatchNormalizationLayer l : layers) {
            global.add(forward(members, BnStatistics.empty(l.channels())));
        }
        return global;
    }
}
