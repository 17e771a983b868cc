package org.syncbn.bn;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Serializable;
import java.util.List;

/**
 * Per-channel moments of a set of BN inputs, in double precision: the count n, the mean and
 * M2 = Σ (x − mean)². Dense inputs [N, C] reduce over N; convolutional inputs over N, H, W.
 * Two sets merge exactly with Chan's formula ({@link MomentMath#chanMerge}); the population
 * variance is M2 / n.
 */
public record ChannelMoments(double count, double[] mean, double[] m2) implements Serializable {

    /** The moments of one batch of activations (two passes in double). */
    public static ChannelMoments of(INDArray activations, CNN2DFormat format) {
        long rank = activations.rank();
        if (rank != 2 && rank != 4) {
            throw new IllegalArgumentException("BN input of rank " + rank + ": expected 2 (dense) or 4 (convolutional)");
        }
        boolean nhwc = rank == 4 && format == CNN2DFormat.NHWC;
        int channels = (int) activations.size(rank == 2 ? 1 : nhwc ? 3 : 1);
        double[] x = activations.dup('c').data().asDouble();
        long n = activations.size(0);
        long spatial = rank == 2 ? 1 : activations.size(nhwc ? 1 : 2) * activations.size(nhwc ? 2 : 3);
        double[] sum = new double[channels];
        for (int i = 0; i < x.length; i++) {
            sum[channelOf(i, channels, spatial, rank, nhwc)] += x[i];
        }
        double count = (double) n * spatial;
        double[] mean = new double[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = sum[c] / count;
        }
        double[] m2 = new double[channels];
        for (int i = 0; i < x.length; i++) {
            int c = channelOf(i, channels, spatial, rank, nhwc);
            double d = x[i] - mean[c];
            m2[c] += d * d;
        }
        return new ChannelMoments(count, mean, m2);
    }

    private static int channelOf(int i, int channels, long spatial, long rank, boolean nhwc) {
        if (rank == 2 || nhwc) {
            return i % channels;                       // [N, C] or [N, H, W, C]: channel varies fastest
        }
        return (int) ((i / spatial) % channels);       // [N, C, H, W]
    }

    /** The exact moments of the union of {@code parts}, merged in the order given. */
    public static ChannelMoments merge(List<ChannelMoments> parts) {
        int k = parts.size();
        int channels = parts.get(0).mean().length;
        double[] counts = new double[k];
        double[][] means = new double[k][];
        double[][] m2s = new double[k][];
        for (int i = 0; i < k; i++) {
            counts[i] = parts.get(i).count();
            means[i] = parts.get(i).mean();
            m2s[i] = parts.get(i).m2();
        }
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        double total = MomentMath.chanMerge(counts, means, m2s, mean, m2);
        return new ChannelMoments(total, mean, m2);
    }

    /** Population variance per channel, M2 / n. */
    public double[] variance() {
        double[] v = new double[m2.length];
        for (int c = 0; c < v.length; c++) {
            v[c] = count == 0 ? 0 : m2[c] / count;
        }
        return v;
    }
}
