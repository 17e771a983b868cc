package org.syncbn.bn;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.List;

/**
 * The statistics of one BatchNorm layer's C channels, and all arithmetic on them, in double precision
 * (docs/ARCHITECTURE.md, "SyncBN math" and "Merging between rounds").
 *
 * <p>A value holds a count n, and per channel c the mean m_c and M2_c = Σ (x − m_c)², so that the
 * (biased) variance is σ²_c = M2_c / n. Three kinds of statistics share this one type:
 * <ul>
 *   <li><b>batch statistics</b>: n elements (examples × spatial positions) of a normalisation batch
 *       ({@link #ofActivations}, {@link #ofBatch}); they travel between workers as one flat payload
 *       {@code [n, m_0..m_{C-1}, M2_0..M2_{C-1}]} ({@link #toPayload}, {@link #fromPayload}) and merge
 *       exactly with Chan's formula ({@link #merge}): N = Σ n_k, μ = Σ n_k m_k / N,
 *       M2 = Σ [M2_k + n_k (m_k − μ)²] — never Σx² − (Σx)²/N, which cancels catastrophically in float;</li>
 *   <li><b>running statistics</b> of a layer (DL4J's inference statistics): unit count, so M2 = σ²
 *       ({@link #running}, {@link #readRunning}, {@link #writeRunning}); a training step updates them as DL4J
 *       does, batch after batch, run ← decay·run + (1 − decay)·batch for the mean and the variance
 *       ({@link #runningAfter}), or once per step with the unbiased estimate of all its batches together
 *       ({@link #populationAfter}); DL4J stores the variance either as such or as log10(σ)
 *       ({@link #storedVariance}, {@link #log10StdToVar}, {@link #varToLog10Std});</li>
 *   <li><b>pooled running statistics</b> of several workers with weights w_k, by the law of total variance
 *       ({@link #poolRunning}): μ = Σ (w_k/W) μ_k, σ² = Σ (w_k/W) (σ²_k + (μ_k − μ)²), W = Σ w_k.</li>
 * </ul>
 */
public record BnStatistics(double count, double[] mean, double[] m2) implements Serializable {

    /** Payload length for C channels: the count, C means, C M2s. */
    public static int payloadLength(int channels) {
        return 1 + 2 * channels;
    }

    /** No elements: what an empty worker contributes (count 0, zero means and M2). */
    public static BnStatistics empty(int channels) {
        return new BnStatistics(0, new double[channels], new double[channels]);
    }

    /** Batch statistics from a batch's per-channel mean and biased variance (M2 = n·σ²). */
    public static BnStatistics ofBatch(double count, double[] mean, double[] biasedVariance) {
        double[] m2 = new double[mean.length];
        for (int c = 0; c < m2.length; c++) {
            m2[c] = biasedVariance[c] * count;
        }
        return new BnStatistics(count, mean, m2);
    }

    /**
     * Batch statistics of one batch of activations, two passes in double: dense inputs [N, C] reduce
     * over N, convolutional inputs over N, H, W (channel axis 1 for NCHW, 3 for NHWC).
     */
    public static BnStatistics ofActivations(INDArray activations, CNN2DFormat format) {
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
        return new BnStatistics(count, mean, m2);
    }

    private static int channelOf(int i, int channels, long spatial, long rank, boolean nhwc) {
        if (rank == 2 || nhwc) {
            return i % channels;                       // [N, C] or [N, H, W, C]: channel varies fastest
        }
        return (int) ((i / spatial) % channels);       // [N, C, H, W]
    }

    public int channels() {
        return mean.length;
    }

    /** The wire form {@code [n, m_0..m_{C-1}, M2_0..M2_{C-1}]}. */
    public double[] toPayload() {
        int c = channels();
        double[] p = new double[payloadLength(c)];
        p[0] = count;
        System.arraycopy(mean, 0, p, 1, c);
        System.arraycopy(m2, 0, p, 1 + c, c);
        return p;
    }

    /** The statistics of a {@link #toPayload} array. */
    public static BnStatistics fromPayload(double[] payload) {
        if (payload.length % 2 != 1) {
            throw new IllegalArgumentException("a BN statistics payload has 1 + 2C values, got " + payload.length);
        }
        int c = (payload.length - 1) / 2;
        double[] mean = new double[c];
        double[] m2 = new double[c];
        System.arraycopy(payload, 1, mean, 0, c);
        System.arraycopy(payload, 1 + c, m2, 0, c);
        return new BnStatistics(payload[0], mean, m2);
    }

    /**
     * Chan's exact merge of the union of {@code parts}, per channel, in the order given; parts with
     * n = 0 contribute nothing, and with N = 0 the result is zero.
     */
    public static BnStatistics merge(List<BnStatistics> parts) {
        int channels = parts.get(0).channels();
        double total = 0;
        for (BnStatistics p : parts) {
            total += p.count;
        }
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        for (int c = 0; c < channels; c++) {
            if (total == 0) {
                continue;
            }
            double weighted = 0;
            for (BnStatistics p : parts) {
                weighted += p.count * p.mean[c];
            }
            double mu = weighted / total;
            double sum = 0;
            for (BnStatistics p : parts) {
                if (p.count > 0) {
                    double d = p.mean[c] - mu;
                    sum += p.m2[c] + p.count * d * d;
                }
            }
            mean[c] = mu;
            m2[c] = sum;
        }
        return new BnStatistics(total, mean, m2);
    }

    /** Per-channel (biased) variance M2 / n; zero without elements. */
    public double[] variance() {
        double[] v = new double[m2.length];
        for (int c = 0; c < v.length; c++) {
            v[c] = count == 0 ? 0 : m2[c] / count;
        }
        return v;
    }

    // ---- running statistics --------------------------------------------------------------------

    /** Running statistics (unit count) with the given mean and variance. */
    public static BnStatistics running(double[] mean, double[] variance) {
        return new BnStatistics(1, mean, variance);
    }

    /** A BN layer's running statistics, its stored log10(σ) turned into variance where it uses that form. */
    public static BnStatistics readRunning(Layer bn) {
        BatchNormalization conf = conf(bn);
        double[] stored = bn.getParam(varianceKey(conf)).toDoubleVector();
        return fromStored(bn.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).toDoubleVector(), stored,
                conf.isUseLogStd());
    }

    /** Running statistics from DL4J's stored form: the mean, and the variance or log10(σ). */
    public static BnStatistics fromStored(double[] mean, double[] storedVariance, boolean log10Std) {
        double[] var = new double[storedVariance.length];
        for (int c = 0; c < var.length; c++) {
            var[c] = log10Std ? log10StdToVar(storedVariance[c]) : storedVariance[c];
        }
        return running(mean.clone(), var);
    }

    /** The variance as DL4J stores it: itself, or log10(σ). */
    public double[] storedVariance(boolean log10Std) {
        double[] var = variance();
        if (log10Std) {
            for (int c = 0; c < var.length; c++) {
                var[c] = varToLog10Std(var[c]);
            }
        }
        return var;
    }

    /** Writes these running statistics into a BN layer's parameters, in the layer's own form. */
    public void writeRunning(Layer bn) {
        BatchNormalization conf = conf(bn);
        assign(bn.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN), mean);
        assign(bn.getParam(varianceKey(conf)), storedVariance(conf.isUseLogStd()));
    }

    /**
     * These running statistics after DL4J's update with each of {@code batches} in turn:
     * m ← m − (1 − d)(m − μ_batch), σ² ← d·σ² + (1 − d)·σ²_batch, d = {@code decay}.
     */
    public BnStatistics runningAfter(List<BnStatistics> batches, double decay) {
        double[] m = mean.clone();
        double[] var = variance();
        for (BnStatistics b : batches) {
            double[] batchVar = b.variance();
            for (int c = 0; c < m.length; c++) {
                m[c] = m[c] - (1 - decay) * (m[c] - b.mean[c]);
                var[c] = decay * var[c] + (1 - decay) * batchVar[c];
            }
        }
        return running(m, var);
    }

    /**
     * These running statistics after ONE update with the population estimate of all of a step's
     * normalisation batches together (the population rule, PyTorch's estimator):
     * merged N, μ, M2 = {@link #merge}(batches); m ← m − (1 − d)(m − μ), σ² ← d·σ² + (1 − d)·M2/(N − 1).
     * M2/(N − 1) is unbiased for the variance of the distribution the elements come from, where DL4J's
     * M2_g/g per batch of g elements is low by (g − 1)/g (half at g = 2); and one update per step keeps
     * the average's memory at 1/(1 − d) steps whatever the number of ghost batches. The variance is
     * left as it is when N ≤ 1 (no estimate); nothing changes when N = 0.
     */
    public BnStatistics populationAfter(List<BnStatistics> batches, double decay) {
        BnStatistics step = merge(batches);
        if (step.count() == 0) {
            return running(mean.clone(), variance());
        }
        double[] m = mean.clone();
        double[] var = variance();
        for (int c = 0; c < m.length; c++) {
            m[c] = m[c] - (1 - decay) * (m[c] - step.mean[c]);
            if (step.count() > 1) {
                var[c] = decay * var[c] + (1 - decay) * (step.m2[c] / (step.count() - 1));
            }
        }
        return running(m, var);
    }

    /**
     * The running statistics of several workers pooled by the law of total variance with weights w_k
     * (samples processed; need not be normalised; zero-weight workers are ignored). A channel on which
     * every contributing worker holds bitwise the same statistics (sync BN) is returned unchanged, so
     * the merge is exactly the identity there.
     */
    public static BnStatistics poolRunning(double[] weights, List<BnStatistics> workers) {
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
        int first = 0;
        while (weights[first] <= 0) {
            first++;
        }
        int channels = workers.get(first).channels();
        double[][] vars = new double[workers.size()][];
        for (int k = 0; k < vars.length; k++) {
            vars[k] = workers.get(k).variance();
        }
        double[] mean = new double[channels];
        double[] var = new double[channels];
        for (int c = 0; c < channels; c++) {
            if (allContributorsEqual(weights, workers, vars, c, first)) {
                mean[c] = workers.get(first).mean[c];
                var[c] = vars[first][c];
                continue;
            }
            double mu = 0;
            for (int k = 0; k < weights.length; k++) {
                if (weights[k] > 0) {
                    mu += (weights[k] / total) * workers.get(k).mean[c];
                }
            }
            double v = 0;
            for (int k = 0; k < weights.length; k++) {
                if (weights[k] > 0) {
                    double d = workers.get(k).mean[c] - mu;
                    v += (weights[k] / total) * (vars[k][c] + d * d);
                }
            }
            mean[c] = mu;
            var[c] = v;
        }
        return running(mean, var);
    }

    private static boolean allContributorsEqual(double[] weights, List<BnStatistics> workers, double[][] vars, int c,
                                                int first) {
        for (int k = first + 1; k < weights.length; k++) {
            if (weights[k] > 0 && (Double.doubleToLongBits(workers.get(k).mean[c])
                    != Double.doubleToLongBits(workers.get(first).mean[c])
                    || Double.doubleToLongBits(vars[k][c]) != Double.doubleToLongBits(vars[first][c]))) {
                return false;
            }
        }
        return true;
    }

    /** DL4J's log10stdev parameter to variance: σ² = (10^l)². */
    public static double log10StdToVar(double log10Std) {
        double std = Math.pow(10.0, log10Std);
        return std * std;
    }

    /** Variance to DL4J's log10stdev parameter: l = log10(√σ²). */
    public static double varToLog10Std(double var) {
        return Math.log10(Math.sqrt(var));
    }

    /** DL4J's key of a BN layer's stored variance: "var", or "log10stdev" with useLogStd. */
    public static String varianceKey(BatchNormalization conf) {
        return conf.isUseLogStd() ? BatchNormalizationParamInitializer.GLOBAL_LOG_STD
                : BatchNormalizationParamInitializer.GLOBAL_VAR;
    }

    private static BatchNormalization conf(Layer bn) {
        if (!(bn.conf().getLayer() instanceof BatchNormalization conf)) {
            throw new IllegalArgumentException("layer " + bn.conf().getLayer().getLayerName()
                    + " is not a BatchNormalization layer");
        }
        return conf;
    }

    private static void assign(INDArray param, double[] values) {
        param.assign(Nd4j.createFromArray(values).castTo(param.dataType()).reshape(param.shape()));
    }
}
