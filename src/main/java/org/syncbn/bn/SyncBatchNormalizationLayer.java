package org.syncbn.bn;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.syncbn.collective.Collective;
import org.syncbn.collective.LocalCollective;

import java.util.ArrayList;
import java.util.List;

/**
 * Synchronized batch normalisation (docs/ARCHITECTURE.md, "SyncBN math"), per channel c, over the elements of the
 * normalisation batch (examples × spatial positions) held by the members of a collective.
 *
 * <p>Forward (training): worker k has n_k elements, local mean m_k and M2_k = Σ(x − m_k)². ONE
 * all-gather of (n_k, m_k, M2_k) and Chan's merge ({@link BnStatistics#merge}) give
 * N = Σ n_k, μ, M2; σ² = M2 / N (biased); x̂ = (x − μ)/√(σ² + ε); y = γ x̂ + β.
 *
 * <p>Backward: ONE all-reduce of S1_k = Σ dy and S2_k = Σ dy·(x − μ) gives S1, S2, and
 * dx = γ/√(σ²+ε) · (dy − S1/N − x̂ · S2/(N √(σ²+ε))); dγ_k = S2_k/√(σ²+ε), dβ_k = S1_k stay local
 * (parameter averaging combines them). DL4J's loss gradients are sums over examples (the updater
 * divides by the local batch), so summing S1, S2 over workers needs no rescaling, also for unequal
 * batches.
 *
 * <p>Running statistics keep DL4J's semantics, fed with the global μ and σ²: as in DL4J they are
 * applied by the no-op updater as "gradients" old − new, with new = decay·old + (1 − decay)·batch.
 * Ghost batches are normalised one after another, each updating the running statistics in turn; with
 * {@link SyncBatchNormalization#isPopulationStatistics()} a step updates them once instead, with the
 * unbiased estimate of all its batches ({@link BnStatistics#populationAfter}).
 * Inference mode is DL4J's own code and never communicates.
 */
public class SyncBatchNormalizationLayer extends BatchNormalization {
    private transient Collective collective = new LocalCollective();
    private transient List<Segment> segments;
    private transient Collective segmentCollective;

    /**
     * The cached forward values of rows [from, to): one normalisation batch ({@code std.length == 1},
     * x̂ in the activations' shape), or several ghost batches of equal size normalised together
     * (x̂ in the block shape [batches, ghost, ...]); per batch k its σ_k and statistics.
     */
    private record Segment(long from, long to, INDArray xHat, double[][] std, List<BnStatistics> stats) {
        int batches() {
            return std.length;
        }
    }

    public SyncBatchNormalizationLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** The collective whose members share batch statistics (a fresh layer has a local one). */
    public void setCollective(Collective collective) {
        this.collective = collective;
    }

    public Collective getCollective() {
        return collective;
    }

    /** The layer's channel count C. */
    int channels() {
        return (int) layerConf().getNOut();
    }

    /** Weight of the old value in the running statistics. */
    double decay() {
        return layerConf().getDecay();
    }

    private SyncBatchNormalization syncConf() {
        return (SyncBatchNormalization) conf().getLayer();
    }

    @Override
    public INDArray preOutput(INDArray x, TrainingMode training, LayerWorkspaceMgr workspaceMgr) {
        if (training != TrainingMode.TRAIN) {
            return super.preOutput(x, training, workspaceMgr);
        }
        if (x.rank() != 2 && x.rank() != 4) {
            throw new IllegalStateException("SyncBatchNormalization supports dense [N,C] and convolutional "
                    + "[N,C,H,W]/[N,H,W,C] activations, got rank " + x.rank() + " " + layerId());
        }
        int ch = channelDim(x);
        if (x.size(ch) != layerConf().getNOut()) {
            throw new IllegalArgumentException("input.size(" + ch + ") = " + x.size(ch) + " does not match the "
                    + layerConf().getNOut() + " channels of " + layerId());
        }
        x = x.castTo(dataType);
        long n = x.size(0);
        int ghost = syncConf().getGhostBatchSize();
        if (ghost > 0 && collective.size() > 1) {
            // a ghost batch is a slice of one worker's batch: sharing it would pair unrelated slices
            throw new IllegalStateException("ghost batches of " + layerId() + " are a worker's own, but a collective"
                    + " of " + collective.size() + " members is attached (BnMode decides: ghost:g never communicates)");
        }
        segments = new ArrayList<>();
        segmentCollective = collective;
        INDArray out;
        if (ghost <= 0 || ghost >= n) {
            out = forwardSegment(x, 0, n, collective);
        } else {
            // the full ghost batches in one pass over a [n/g, g, ...] view (one op per step, not one per
            // ghost batch: ghost:2 ran 4x slower than local batch by batch), then the remainder
            out = Nd4j.createUninitialized(dataType, x.shape(), x.ordering());
            long full = n / ghost * ghost;
            INDArray head = x.get(rows(x, 0, full)).dup('c');
            out.put(rows(x, 0, full), full == ghost ? forwardSegment(head, 0, full, collective)
                    : forwardGhostBatches(head, ghost));
            if (full < n) {
                out.put(rows(x, full, n), forwardSegment(x.get(rows(x, full, n)).dup(x.ordering()), full, n, collective));
            }
        }
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, out);
    }

    private INDArray forwardSegment(INDArray x, long from, long to, Collective c) {
        int ch = channelDim(x);
        int[] reduce = reduceDims(x);
        int channels = (int) x.size(ch);
        double localCount = x.length() / (double) channels;

        // M2_k = n_k · biased local variance: one fused, numerically stable reduction
        BnStatistics local = BnStatistics.ofBatch(localCount, x.mean(reduce).toDoubleVector(),
                x.var(false, reduce).toDoubleVector());
        BnStatistics global = StatisticsExchange.forward(c, local);

        double[] var = global.variance();
        double[] std = new double[channels];
        double[] invStd = new double[channels];
        for (int j = 0; j < channels; j++) {
            std[j] = Math.sqrt(var[j] + layerConf().getEps());
            invStd[j] = 1.0 / std[j];
        }
        // x̂ = (x − μ) · 1/σ, computed in place; y = γ x̂ + β
        INDArray xHat = broadcast(new BroadcastSubOp(x, vector(global.mean()), like(x), ch));
        broadcast(new BroadcastMulOp(xHat, vector(invStd), xHat, ch));
        INDArray y = broadcast(new BroadcastMulOp(xHat, getParam(BatchNormalizationParamInitializer.GAMMA).reshape(channels), like(x), ch));
        y = broadcast(new BroadcastAddOp(y, getParam(BatchNormalizationParamInitializer.BETA).reshape(channels), y, ch));
        segments.add(new Segment(from, to, xHat.detach(), new double[][] {std}, List.of(global)));
        return y;
    }

    /**
     * The ghost batches of g rows each that make up {@code x} ('c' order, rows a multiple of g), each
     * normalised with its own statistics exactly as {@link #forwardSegment} would, in one pass: x seen
     * as [B, g, ...], statistics reduced over every dimension but the batch and the channel, and
     * μ_k, 1/σ_k broadcast over (batch, channel).
     */
    private INDArray forwardGhostBatches(INDArray x, int g) {
        long[] shape = x.shape();
        int batches = (int) (shape[0] / g);
        INDArray xb = x.reshape('c', blockShape(shape, batches));
        int ch = channelDim(x) + 1;
        int[] reduce = blockReduceDims(xb.rank(), ch);
        int channels = (int) x.size(channelDim(x));
        double elements = (double) x.length() / batches / channels;
        double[] means = flat(xb.mean(reduce));
        double[] vars = flat(xb.var(false, reduce));
        double[][] std = new double[batches][channels];
        double[] mu = new double[batches * channels];
        double[] invStd = new double[batches * channels];
        List<BnStatistics> stats = new ArrayList<>(batches);
        for (int k = 0; k < batches; k++) {
            BnStatistics local = BnStatistics.ofBatch(elements,
                    java.util.Arrays.copyOfRange(means, k * channels, (k + 1) * channels),
                    java.util.Arrays.copyOfRange(vars, k * channels, (k + 1) * channels));
            BnStatistics global = StatisticsExchange.forward(collective, local);
            stats.add(global);
            double[] var = global.variance();
            for (int j = 0; j < channels; j++) {
                std[k][j] = Math.sqrt(var[j] + layerConf().getEps());
                mu[k * channels + j] = global.mean()[j];
                invStd[k * channels + j] = 1.0 / std[k][j];
            }
        }
        INDArray xHat = broadcast(new BroadcastSubOp(xb, matrix(mu, batches, channels), like(xb), 0, ch));
        broadcast(new BroadcastMulOp(xHat, matrix(invStd, batches, channels), xHat, 0, ch));
        INDArray y = broadcast(new BroadcastMulOp(xHat, getParam(BatchNormalizationParamInitializer.GAMMA).reshape(channels), like(xb), ch));
        y = broadcast(new BroadcastAddOp(y, getParam(BatchNormalizationParamInitializer.BETA).reshape(channels), y, ch));
        segments.add(new Segment(0, shape[0], xHat.detach(), std, stats));
        return y.reshape('c', shape);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        if (segments == null) {
            throw new IllegalStateException("backprop without a training-mode forward pass " + layerId());
        }
        INDArray eps = epsilon.castTo(dataType);
        int ch = channelDim(eps);
        int channels = (int) eps.size(ch);
        INDArray gamma = getParam(BatchNormalizationParamInitializer.GAMMA).reshape(channels);
        double[] dGamma = new double[channels];
        double[] dBeta = new double[channels];
        boolean single = segments.size() == 1;
        Collective c = segmentCollective;
        INDArray dx = single ? null : Nd4j.createUninitialized(dataType, eps.shape(), eps.ordering());
        for (Segment s : segments) {
            INDArray dy = single ? eps : eps.get(rows(eps, s.from, s.to)).dup(eps.ordering());
            INDArray dxs = s.batches() == 1 ? backwardSegment(s, dy, gamma, dGamma, dBeta, c)
                    : backwardGhostBatches(s, dy, gamma, dGamma, dBeta, c);
            if (single) {
                dx = dxs;
            } else {
                dx.put(rows(dx, s.from, s.to), dxs);
            }
        }

        Gradient grad = new DefaultGradient();
        INDArray dGammaView = gradientViews.get(BatchNormalizationParamInitializer.GAMMA);
        INDArray dBetaView = gradientViews.get(BatchNormalizationParamInitializer.BETA);
        dGammaView.assign(vector(dGamma).reshape(dGammaView.shape()));
        dBetaView.assign(vector(dBeta).reshape(dBetaView.shape()));
        grad.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
        grad.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
        runningStatsGradient(grad);
        segments = null;
        return new Pair<>(grad, workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD, dx));
    }

    /** One normalisation batch's dx; adds its dγ, dβ terms. */
    private INDArray backwardSegment(Segment s, INDArray dy, INDArray gamma, double[] dGamma, double[] dBeta,
                                     Collective c) {
        int ch = channelDim(dy);
        int channels = dGamma.length;
        int[] reduce = reduceDims(dy);
        double[] s1k = dy.sum(reduce).toDoubleVector();
        // S2_k = Σ dy·(x − μ) = σ · Σ dy·x̂
        double[] dyXHat = dy.mul(s.xHat).sum(reduce).toDoubleVector();
        double[] std = s.std[0];
        double[] s2k = new double[channels];
        for (int j = 0; j < channels; j++) {
            s2k[j] = dyXHat[j] * std[j];
        }
        StatisticsExchange.GradientSums total = StatisticsExchange.backward(c, new StatisticsExchange.GradientSums(s1k, s2k));

        // dx = γ/σ · (dy − S1/N − x̂ · S2/(N σ)) = dy·(γ/σ) + x̂·(−γ S2/(N σ²)) + (−γ S1/(N σ))
        double[] g = gamma.toDoubleVector();
        double[] scale = new double[channels];
        double[] xHatCoeff = new double[channels];
        double[] shift = new double[channels];
        double n = s.stats.get(0).count();
        for (int j = 0; j < channels; j++) {
            scale[j] = g[j] / std[j];
            xHatCoeff[j] = -scale[j] * total.s2()[j] / (n * std[j]);
            shift[j] = -scale[j] * total.s1()[j] / n;
            dGamma[j] += dyXHat[j];
            dBeta[j] += s1k[j];
        }
        INDArray dxs = broadcast(new BroadcastMulOp(s.xHat, vector(xHatCoeff), like(dy), ch));
        dxs.addi(broadcast(new BroadcastMulOp(dy, vector(scale), like(dy), ch)));
        broadcast(new BroadcastAddOp(dxs, vector(shift), dxs, ch));
        return dxs;
    }

    /** {@link #backwardSegment} for the ghost batches of one {@link #forwardGhostBatches} block, in one pass. */
    private INDArray backwardGhostBatches(Segment s, INDArray dy, INDArray gamma, double[] dGamma, double[] dBeta,
                                          Collective c) {
        long[] shape = dy.shape();
        int batches = s.batches();
        INDArray dyb = dy.dup('c').reshape('c', blockShape(shape, batches));
        int ch = channelDim(dy) + 1;
        int[] reduce = blockReduceDims(dyb.rank(), ch);
        int channels = dGamma.length;
        double[] s1 = flat(dyb.sum(reduce));
        double[] dyXHat = flat(dyb.mul(s.xHat).sum(reduce));
        double[] g = gamma.toDoubleVector();
        double[] scale = new double[batches * channels];
        double[] xHatCoeff = new double[batches * channels];
        double[] shift = new double[batches * channels];
        for (int k = 0; k < batches; k++) {
            double[] std = s.std[k];
            double[] s1k = java.util.Arrays.copyOfRange(s1, k * channels, (k + 1) * channels);
            double[] s2k = new double[channels];
            for (int j = 0; j < channels; j++) {
                s2k[j] = dyXHat[k * channels + j] * std[j];
            }
            StatisticsExchange.GradientSums total = StatisticsExchange.backward(c, new StatisticsExchange.GradientSums(s1k, s2k));
            double n = s.stats.get(k).count();
            for (int j = 0; j < channels; j++) {
                int i = k * channels + j;
                scale[i] = g[j] / std[j];
                xHatCoeff[i] = -scale[i] * total.s2()[j] / (n * std[j]);
                shift[i] = -scale[i] * total.s1()[j] / n;
                dGamma[j] += dyXHat[i];
                dBeta[j] += s1k[j];
            }
        }
        INDArray dxs = broadcast(new BroadcastMulOp(s.xHat, matrix(xHatCoeff, batches, channels), like(dyb), 0, ch));
        dxs.addi(broadcast(new BroadcastMulOp(dyb, matrix(scale, batches, channels), like(dyb), 0, ch)));
        broadcast(new BroadcastAddOp(dxs, matrix(shift, batches, channels), dxs, 0, ch));
        return dxs.reshape('c', shape);
    }

    /**
     * DL4J applies running statistics as "gradients" (stored old − stored new) through a no-op
     * updater; the new values are the running average over this step's normalisation batches
     * ({@link BnStatistics#runningAfter}).
     */
    private void runningStatsGradient(Gradient grad) {
        List<BnStatistics> batches = new ArrayList<>();
        for (Segment s : segments) {
            batches.addAll(s.stats);
        }
        org.deeplearning4j.nn.conf.layers.BatchNormalization conf = layerConf();
        String varKey = BnStatistics.varianceKey(conf);
        BnStatistics after = runningAfterStep(batches);
        setDifference(grad, BatchNormalizationParamInitializer.GLOBAL_MEAN, after.mean());
        setDifference(grad, varKey, after.storedVariance(conf.isUseLogStd()));
    }

    /**
     * This layer's running statistics after a training step whose normalisation batches had these
     * statistics, by the layer's rule: DL4J's, or the population rule.
     */
    BnStatistics runningAfterStep(List<BnStatistics> batches) {
        BnStatistics now = BnStatistics.readRunning(this);
        return syncConf().isPopulationStatistics() ? now.populationAfter(batches, decay())
                : now.runningAfter(batches, decay());
    }

    /** gradient[key] = param[key] − updated. */
    private void setDifference(Gradient grad, String key, double[] updated) {
        double[] old = getParam(key).toDoubleVector();
        double[] d = new double[old.length];
        for (int j = 0; j < d.length; j++) {
            d[j] = old[j] - updated[j];
        }
        INDArray view = gradientViews.get(key);
        view.assign(Nd4j.createFromArray(d).castTo(view.dataType()).reshape(view.shape()));
        grad.setGradientFor(key, view);
    }

    private int channelDim(INDArray x) {
        return x.rank() == 4 && layerConf().getCnn2DFormat() == CNN2DFormat.NHWC ? 3 : 1;
    }

    private int[] reduceDims(INDArray x) {
        if (x.rank() == 2) {
            return new int[] {0};
        }
        return layerConf().getCnn2DFormat() == CNN2DFormat.NHWC ? new int[] {0, 1, 2} : new int[] {0, 2, 3};
    }

    /** [batches, rows / batches, ...]: the rows of {@code shape} as equal consecutive batches. */
    private static long[] blockShape(long[] shape, int batches) {
        long[] b = new long[shape.length + 1];
        b[0] = batches;
        b[1] = shape[0] / batches;
        System.arraycopy(shape, 1, b, 2, shape.length - 1);
        return b;
    }

    /** Every dimension of a block but the batch (0) and the channel. */
    private static int[] blockReduceDims(int rank, int channel) {
        int[] dims = new int[rank - 2];
        int at = 0;
        for (int d = 1; d < rank; d++) {
            if (d != channel) {
                dims[at++] = d;
            }
        }
        return dims;
    }

    /** A [batches, channels] result, row after row. */
    private static double[] flat(INDArray m) {
        return m.dup('c').reshape(m.length()).toDoubleVector();
    }

    private INDArray matrix(double[] v, int rows, int cols) {
        return Nd4j.createFromArray(v).castTo(dataType).reshape('c', rows, cols);
    }

    private static INDArrayIndex[] rows(INDArray x, long from, long to) {
        INDArrayIndex[] idx = new INDArrayIndex[x.rank()];
        idx[0] = NDArrayIndex.interval(from, to);
        for (int i = 1; i < idx.length; i++) {
            idx[i] = NDArrayIndex.all();
        }
        return idx;
    }

    private INDArray vector(double[] v) {
        return Nd4j.createFromArray(v).castTo(dataType);
    }

    private static INDArray like(INDArray x) {
        return Nd4j.createUninitialized(x.dataType(), x.shape(), x.ordering());
    }

    private static INDArray broadcast(org.nd4j.linalg.api.ops.BroadcastOp op) {
        return Nd4j.getExecutioner().exec(op);
    }
}
