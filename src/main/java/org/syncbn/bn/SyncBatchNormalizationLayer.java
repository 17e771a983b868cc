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
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.collective.Collective;
import org.syncbn.collective.LocalCollective;

import java.util.ArrayList;
import java.util.Arrays;
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
 *
 * <p>The training passes run as fused loops ({@link FusedBnKernels}) over Java copies of x and dy,
 * which the layer keeps from step to step; x̂ is recomputed from the copy of x in the backward pass.
 */
public class SyncBatchNormalizationLayer extends BatchNormalization {
    private transient Collective collective = new LocalCollective();
    private transient List<Segment> segments;
    private transient Collective segmentCollective;
    /** Java arrays kept from step to step: x (until the backward pass), dy, and y or dx on their way out. */
    private transient FusedBnKernels xCopy;
    private transient FusedBnKernels gradientCopy;
    private transient FusedBnKernels outputCopy;

    /**
     * The cached forward values of some consecutive rows: one normalisation batch, or several ghost
     * batches of equal size normalised together; x (a Java copy, from which the backward pass
     * recomputes x̂), the rows' layout in it, and per (batch k, channel c), index k·C + c, μ and σ;
     * per batch its statistics.
     */
    private record Segment(FusedBnKernels x, FusedBnKernels.Block block, double[] mu,
                           double[] std, List<BnStatistics> stats) {
        int batches() {
            return block.blocks();
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
        FusedBnKernels xs = FusedBnKernels.copyOf(x, xCopy);
        FusedBnKernels y = xs.like(outputCopy);
        xCopy = xs;
        outputCopy = y;
        if (ghost <= 0 || ghost >= n) {
            forward(xs, y, x.shape(), 0, n, 1);
        } else {
            // the full ghost batches in one pass (one kernel call per step, not one per ghost batch:
            // ghost:2 batch by batch ran 4x slower than local), then the remainder
            long full = n / ghost * ghost;
            forward(xs, y, x.shape(), 0, full, (int) (full / ghost));
            if (full < n) {
                forward(xs, y, x.shape(), full, n, 1);
            }
        }
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, y.toNd4j(x.shape()));
    }

    /**
     * Rows [from, to) of x as {@code batches} consecutive normalisation batches of equal size, each
     * normalised with its own statistics, one all-gather of (n, m, M2) per batch; writes y = γ x̂ + β.
     */
    private void forward(FusedBnKernels x, FusedBnKernels y, long[] shape, long from, long to, int batches) {
        FusedBnKernels.Block b = block(shape, from, to, batches);
        int channels = b.channels();
        double[] mean = new double[batches * channels];
        double[] m2 = new double[batches * channels];
        x.moments(b, mean, m2);
        double[] gamma = getParam(BatchNormalizationParamInitializer.GAMMA).toDoubleVector();
        double[] beta = getParam(BatchNormalizationParamInitializer.BETA).toDoubleVector();
        double[] mu = new double[batches * channels];
        double[] std = new double[batches * channels];
        double[] scale = new double[batches * channels];
        double[] shift = new double[batches * channels];
        List<BnStatistics> stats = new ArrayList<>(batches);
        for (int k = 0; k < batches; k++) {
            BnStatistics local = new BnStatistics(b.count(),
                    Arrays.copyOfRange(mean, k * channels, (k + 1) * channels),
                    Arrays.copyOfRange(m2, k * channels, (k + 1) * channels));
            BnStatistics global = StatisticsExchange.forward(collective, local);
            stats.add(global);
            double[] var = global.variance();
            for (int j = 0; j < channels; j++) {
                int i = k * channels + j;
                mu[i] = global.mean()[j];
                std[i] = Math.sqrt(var[j] + layerConf().getEps());
                scale[i] = gamma[j] / std[i];
                shift[i] = beta[j];
            }
        }
        x.affine(b, mu, scale, shift, y);
        segments.add(new Segment(x, b, mu, std, stats));
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        if (segments == null) {
            throw new IllegalStateException("backprop without a training-mode forward pass " + layerId());
        }
        INDArray eps = epsilon.castTo(dataType);
        int channels = channels();
        double[] gamma = getParam(BatchNormalizationParamInitializer.GAMMA).toDoubleVector();
        double[] dGamma = new double[channels];
        double[] dBeta = new double[channels];
        FusedBnKernels dy = FusedBnKernels.copyOf(eps, gradientCopy);
        FusedBnKernels dx = dy.like(outputCopy);
        gradientCopy = dy;
        outputCopy = dx;
        for (Segment s : segments) {
            backward(s, dy, dx, gamma, dGamma, dBeta, segmentCollective);
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
        return new Pair<>(grad, workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD, dx.toNd4j(eps.shape())));
    }

    /**
     * One segment's dx, one all-reduce of (S1, S2) per normalisation batch; adds its dγ = S2_k/σ,
     * dβ = S1_k terms.
     */
    private void backward(Segment s, FusedBnKernels dy, FusedBnKernels dx, double[] gamma, double[] dGamma,
                          double[] dBeta, Collective c) {
        int batches = s.batches();
        int channels = dGamma.length;
        double[] s1 = new double[batches * channels];
        double[] s2 = new double[batches * channels];
        s.x.gradientSums(dy, s.block, s.mu, s1, s2);
        double[] dyCoeff = new double[batches * channels];
        double[] xCoeff = new double[batches * channels];
        double[] shift = new double[batches * channels];
        for (int k = 0; k < batches; k++) {
            double[] s1k = Arrays.copyOfRange(s1, k * channels, (k + 1) * channels);
            double[] s2k = Arrays.copyOfRange(s2, k * channels, (k + 1) * channels);
            StatisticsExchange.GradientSums total = StatisticsExchange.backward(c, new StatisticsExchange.GradientSums(s1k, s2k));
            double n = s.stats.get(k).count();
            // dx = γ/σ · (dy − S1/N − x̂ · S2/(N σ)) = dy·(γ/σ) + (x − μ)·(−γ S2/(N σ³)) + (−γ S1/(N σ))
            for (int j = 0; j < channels; j++) {
                int i = k * channels + j;
                double std = s.std[i];
                double scale = gamma[j] / std;
                dyCoeff[i] = scale;
                xCoeff[i] = -scale * total.s2()[j] / (n * std * std);
                shift[i] = -scale * total.s1()[j] / n;
                dGamma[j] += s2k[j] / std;
                dBeta[j] += s1k[j];
            }
        }
        s.x.inputGradient(dy, s.block, s.mu, dyCoeff, xCoeff, shift, dx);
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

    /**
     * Rows [from, to) of an activation of {@code shape} as {@code batches} equal blocks: dense and
     * NCHW [rows][C][H·W], NHWC [rows·H·W][C].
     */
    private FusedBnKernels.Block block(long[] shape, long from, long to, int batches) {
        int channels = channels();
        long spatial = shape.length == 4 ? shape[1] * shape[2] * shape[3] / channels : 1;
        long rowLength = channels * spatial;
        boolean nhwc = shape.length == 4 && layerConf().getCnn2DFormat() == CNN2DFormat.NHWC;
        long rows = (to - from) / batches;
        return new FusedBnKernels.Block((int) (from * rowLength), batches, (int) (nhwc ? rows * spatial : rows),
                channels, (int) (nhwc ? 1 : spatial));
    }

    private INDArray vector(double[] v) {
        return Nd4j.createFromArray(v).castTo(dataType);
    }
}
