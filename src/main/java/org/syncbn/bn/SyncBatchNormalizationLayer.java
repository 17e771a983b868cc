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
 * Synchronized batch normalisation (DESIGN.md §3), per channel c, over the elements of the
 * normalisation batch (examples × spatial positions) held by the members of a collective.
 *
 * <p>Forward (training): worker k has n_k elements, local mean m_k and M2_k = Σ(x − m_k)². ONE
 * all-gather of (n_k, m_k, M2_k) and Chan's merge ({@link MomentMath#chanMerge}) give
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
 * Ghost batches are normalised one after another, each updating the running statistics in turn.
 * Inference mode is DL4J's own code and never communicates.
 */
public class SyncBatchNormalizationLayer extends BatchNormalization {
    private transient Collective collective = new LocalCollective();
    private transient List<Segment> segments;
    private transient Collective segmentCollective;

    /** One normalisation batch's cached forward values (a ghost batch, or the whole local batch). */
    private record Segment(long from, long to, INDArray xHat, double[] std, double count,
                           double[] mean, double[] var) {}

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
        segments = new ArrayList<>();
        // ghost batches are a worker's own: they never communicate, whatever is attached
        segmentCollective = ghost > 0 ? new LocalCollective() : collective;
        INDArray out;
        if (ghost <= 0 || ghost >= n) {
            out = forwardSegment(x, 0, n, segmentCollective);
        } else {
            Collective local = segmentCollective;
            out = Nd4j.createUninitialized(dataType, x.shape(), x.ordering());
            for (long from = 0; from < n; from += ghost) {
                long to = Math.min(n, from + ghost);
                INDArray part = forwardSegment(x.get(rows(x, from, to)).dup(x.ordering()), from, to, local);
                out.put(rows(x, from, to), part);
            }
        }
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, out);
    }

    private INDArray forwardSegment(INDArray x, long from, long to, Collective c) {
        int ch = channelDim(x);
        int[] reduce = reduceDims(x);
        int channels = (int) x.size(ch);
        double localCount = x.length() / (double) channels;

        INDArray localMean = x.mean(reduce);
        // M2_k = n_k · biased local variance: one fused, numerically stable reduction
        INDArray localVar = x.var(false, reduce);

        double[] payload = new double[1 + 2 * channels];
        payload[0] = localCount;
        System.arraycopy(localMean.toDoubleVector(), 0, payload, 1, channels);
        double[] lv = localVar.toDoubleVector();
        for (int j = 0; j < channels; j++) {
            payload[1 + channels + j] = lv[j] * localCount;
        }
        Merged m = merge(c.allGather(payload), channels);

        double[] var = new double[channels];
        double[] std = new double[channels];
        double[] invStd = new double[channels];
        for (int j = 0; j < channels; j++) {
            var[j] = m.m2[j] / m.count;
            std[j] = Math.sqrt(var[j] + layerConf().getEps());
            invStd[j] = 1.0 / std[j];
        }
        // x̂ = (x − μ) · 1/σ, computed in place; y = γ x̂ + β
        INDArray xHat = broadcast(new BroadcastSubOp(x, vector(m.mean), like(x), ch));
        broadcast(new BroadcastMulOp(xHat, vector(invStd), xHat, ch));
        INDArray y = broadcast(new BroadcastMulOp(xHat, getParam(BatchNormalizationParamInitializer.GAMMA).reshape(channels), like(x), ch));
        y = broadcast(new BroadcastAddOp(y, getParam(BatchNormalizationParamInitializer.BETA).reshape(channels), y, ch));
        segments.add(new Segment(from, to, xHat.detach(), std, m.count, m.mean, var));
        return y;
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
            int[] reduce = reduceDims(dy);
            double[] s1k = dy.sum(reduce).toDoubleVector();
            // S2_k = Σ dy·(x − μ) = σ · Σ dy·x̂
            double[] dyXHat = dy.mul(s.xHat).sum(reduce).toDoubleVector();
            double[] std = s.std;
            double[] s2k = new double[channels];
            for (int j = 0; j < channels; j++) {
                s2k[j] = dyXHat[j] * std[j];
            }
            double[] payload = new double[2 * channels];
            System.arraycopy(s1k, 0, payload, 0, channels);
            System.arraycopy(s2k, 0, payload, channels, channels);
            double[] total = c.allReduceSum(payload);

            // dx = γ/σ · (dy − S1/N − x̂ · S2/(N σ)) = dy·(γ/σ) + x̂·(−γ S2/(N σ²)) + (−γ S1/(N σ))
            double[] g = gamma.toDoubleVector();
            double[] scale = new double[channels];
            double[] xHatCoeff = new double[channels];
            double[] shift = new double[channels];
            for (int j = 0; j < channels; j++) {
                scale[j] = g[j] / std[j];
                xHatCoeff[j] = -scale[j] * total[channels + j] / (s.count * std[j]);
                shift[j] = -scale[j] * total[j] / s.count;
                dGamma[j] += dyXHat[j];
                dBeta[j] += s1k[j];
            }
            INDArray dxs = broadcast(new BroadcastMulOp(s.xHat, vector(xHatCoeff), like(dy), ch));
            dxs.addi(broadcast(new BroadcastMulOp(dy, vector(scale), like(dy), ch)));
            broadcast(new BroadcastAddOp(dxs, vector(shift), dxs, ch));
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

    /**
     * DL4J applies running statistics as "gradients" (old − new) through a no-op updater; the
     * new values come from {@link RunningStats#update} over this step's normalisation batches.
     */
    private void runningStatsGradient(Gradient grad) {
        List<double[]> means = new ArrayList<>();
        List<double[]> vars = new ArrayList<>();
        for (Segment s : segments) {
            means.add(s.mean);
            vars.add(s.var);
        }
        RunningStats.applyAsGradient(this, means, vars, grad, gradientViews);
    }

    /** Merged (N, μ, M2) of the gathered per-member payloads (count, mean[C], M2[C]). */
    static Merged merge(double[][] gathered, int channels) {
        int k = gathered.length;
        double[] counts = new double[k];
        double[][] means = new double[k][channels];
        double[][] m2s = new double[k][channels];
        for (int i = 0; i < k; i++) {
            counts[i] = gathered[i][0];
            System.arraycopy(gathered[i], 1, means[i], 0, channels);
            System.arraycopy(gathered[i], 1 + channels, m2s[i], 0, channels);
        }
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        double count = MomentMath.chanMerge(counts, means, m2s, mean, m2);
        return new Merged(count, mean, m2);
    }

    record Merged(double count, double[] mean, double[] m2) {}

    private int channelDim(INDArray x) {
        return x.rank() == 4 && layerConf().getCnn2DFormat() == CNN2DFormat.NHWC ? 3 : 1;
    }

    private int[] reduceDims(INDArray x) {
        if (x.rank() == 2) {
            return new int[] {0};
        }
        return layerConf().getCnn2DFormat() == CNN2DFormat.NHWC ? new int[] {0, 1, 2} : new int[] {0, 2, 3};
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
