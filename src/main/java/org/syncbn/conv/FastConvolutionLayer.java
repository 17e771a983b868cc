package org.syncbn.conv;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.natives.NativeBuild;

/**
 * DL4J's {@link ConvolutionLayer} (same parameters, views, gradients, workspaces, dropout and
 * weight noise handling) whose forward and backward run the kernels {@link ConvRoute} chooses, in
 * the layer's own data format (no NHWC↔NCHW copies): oneDNN 2.5.2's primitives
 * ({@link OneDnnConvolution}, cached per geometry and thread count) or libnd4j's
 * {@code conv2d}/{@code conv2d_bp} ops.
 *
 * <p>forward: z = x ⋆ W + b into the activations workspace; backward: δ = σ'(z) ⊙ ε (z
 * recomputed with the fast forward, and not at all for an identity activation, the usual case
 * before a BatchNorm), then (∂L/∂x, ∂L/∂W, ∂L/∂b) from (x, W, δ) straight into the layer's
 * gradient views. Where the route says DL4J, DL4J's own code runs unchanged.
 *
 * <p>The oneDNN kernels run with ND4J's thread count for this JVM
 * ({@code Nd4j.getEnvironment().maxThreads()}, which the worker pins per task); their primitives
 * are native objects held by this layer and freed with it.
 */
public class FastConvolutionLayer extends ConvolutionLayer {
    private ConvRoute route;
    private OneDnnPrimitiveCache primitives;

    public FastConvolutionLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        this.route = ConvRoute.choose(dataType, layerConf().getDilation(), NativeBuild.current(), OneDnnLibrary::available);
    }

    /** The route this layer runs. */
    public ConvRoute getRoute() {
        return route;
    }

    /** Runs another route: for tests that hold each kernel's wiring against DL4J. */
    void setRoute(ConvRoute route) {
        this.route = route;
    }

    @Override
    protected Pair<INDArray, INDArray> preOutput(boolean training, boolean forBackprop, LayerWorkspaceMgr workspaceMgr) {
        // DL4J's backward asks for its im2col buffer along with z: only its own forward has one
        if (route.forward() == ConvRoute.Kernel.DL4J || forBackprop) {
            return super.preOutput(training, forBackprop, workspaceMgr);
        }
        assertInputSet(false);
        validateInputRank();
        INDArray weights = getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, training, workspaceMgr);
        INDArray bias = hasBias() ? getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, training, workspaceMgr) : null;
        validateInputDepth(weights.size(1));
        INDArray x = input.castTo(dataType);
        return new Pair<>(forward(route.forward(), x, weights, bias, workspaceMgr, ArrayType.ACTIVATIONS), null);
    }

    private INDArray forward(ConvRoute.Kernel kernel, INDArray x, INDArray weights, INDArray bias,
                             LayerWorkspaceMgr workspaceMgr, ArrayType type) {
        return kernel == ConvRoute.Kernel.ONEDNN ? oneDnnForward(x, weights, bias, workspaceMgr, type)
                : opsForward(x, weights, bias, workspaceMgr, type);
    }

    private INDArray oneDnnForward(INDArray x, INDArray weights, INDArray bias, LayerWorkspaceMgr workspaceMgr, ArrayType type) {
        INDArray xp = PlainArrays.plain(x);
        ConvGeometry g = ConvGeometry.of(layerConf(), convolutionMode, xp, bias != null);
        INDArray z = workspaceMgr.createUninitialized(type, dataType, g.outputShape(), 'c');
        INDArray wp = PlainArrays.plain(weights);
        INDArray bp = bias == null ? null : PlainArrays.plain(bias);
        primitives(g).forward(PlainArrays.address(xp), PlainArrays.address(wp), bp == null ? null : PlainArrays.address(bp),
                PlainArrays.address(z), new ArrayScratch());
        return z;
    }

    private INDArray opsForward(INDArray x, INDArray weights, INDArray bias, LayerWorkspaceMgr workspaceMgr, ArrayType type) {
        org.deeplearning4j.nn.conf.layers.ConvolutionLayer c = layerConf();
        CNN2DFormat format = c.getCnn2dDataFormat();
        int[] out = ConvolutionUtils.getOutputSize(x, c.getKernelSize(), c.getStride(),
                convolutionMode == ConvolutionMode.Same ? null : c.getPadding(), convolutionMode, c.getDilation(), format);
        long n = x.size(0);
        long channels = weights.size(0);
        long[] shape = format == CNN2DFormat.NCHW ? new long[] {n, channels, out[0], out[1]}
                : new long[] {n, out[0], out[1], channels};
        INDArray z = workspaceMgr.createUninitialized(type, dataType, shape, 'c');
        INDArray[] in = bias == null ? new INDArray[] {x, weights} : new INDArray[] {x, weights, bias.reshape(channels)};
        Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(in).addOutputs(z).addIntegerArguments(opArgs()).build());
        return z;
    }

    /** This layer's primitives for geometry {@code g} at this JVM's ND4J thread count. */
    private OneDnnConvolution primitives(ConvGeometry g) {
        if (primitives == null) {
            primitives = new OneDnnPrimitiveCache();
        }
        return primitives.get(g, Nd4j.getEnvironment().maxThreads());
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (route.backward() == ConvRoute.Kernel.DL4J) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        assertInputSet(true);
        INDArray weights = getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, true, workspaceMgr);
        INDArray bias = hasBias() ? getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, true, workspaceMgr) : null;
        INDArray x = input.castTo(dataType);
        INDArray eps = epsilon.castTo(dataType);
        IActivation afn = layerConf().getActivationFn();
        INDArray delta = eps;
        if (!(afn instanceof ActivationIdentity)) {
            INDArray z = forward(route.backward(), x, weights, bias, workspaceMgr, ArrayType.BP_WORKING_MEM);
            delta = afn.backprop(z, eps).getFirst();
        }
        INDArray gradX = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        INDArray gradW = gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY);
        INDArray gradB = bias == null ? null : gradientViews.get(ConvolutionParamInitializer.BIAS_KEY);
        if (route.backward() == ConvRoute.Kernel.ONEDNN) {
            oneDnnBackward(x, weights, delta, gradX, gradW, gradB);
        } else {
            opsBackward(x, weights, bias, delta, gradX, gradW, gradB);
        }

        Gradient grad = new DefaultGradient();
        if (gradB != null) {
            grad.setGradientFor(ConvolutionParamInitializer.BIAS_KEY, gradB);
        }
        grad.setGradientFor(ConvolutionParamInitializer.WEIGHT_KEY, gradW, 'c');
        weightNoiseParams.clear();
        return new Pair<>(grad, backpropDropOutIfPresent(gradX));
    }

    /** oneDNN's backward data and weights; a gradient view that is not plain (never, in DL4J's flat layout) gets a copy. */
    private void oneDnnBackward(INDArray x, INDArray weights, INDArray delta, INDArray gradX, INDArray gradW, INDArray gradB) {
        INDArray xp = PlainArrays.plain(x);
        ConvGeometry g = ConvGeometry.of(layerConf(), convolutionMode, xp, gradB != null);
        INDArray wOut = PlainArrays.isPlain(gradW) ? gradW : Nd4j.createUninitialized(DataType.FLOAT, gradW.shape(), 'c');
        INDArray bOut = gradB == null || PlainArrays.isPlain(gradB) ? gradB : Nd4j.createUninitialized(DataType.FLOAT, gradB.shape(), 'c');
        primitives(g).backward(PlainArrays.address(xp), PlainArrays.address(PlainArrays.plain(weights)),
                PlainArrays.address(PlainArrays.plain(delta)), PlainArrays.address(gradX), PlainArrays.address(wOut),
                bOut == null ? null : PlainArrays.address(bOut), new ArrayScratch());
        if (wOut != gradW) {
            gradW.assign(wOut);
        }
        if (bOut != gradB) {
            gradB.assign(bOut);
        }
    }

    private void opsBackward(INDArray x, INDArray weights, INDArray bias, INDArray delta, INDArray gradX, INDArray gradW, INDArray gradB) {
        long channels = weights.size(0);
        INDArray[] in = bias == null ? new INDArray[] {x, weights, delta}
                : new INDArray[] {x, weights, bias.reshape(channels), delta};
        INDArray[] out = gradB == null ? new INDArray[] {gradX, gradW} : new INDArray[] {gradX, gradW, gradB.reshape(channels)};
        Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(in).addOutputs(out).addIntegerArguments(opArgs()).build());
    }

    /**
     * The ops' integer arguments: kernel, stride, padding (ignored in Same mode, where libnd4j
     * pads as DL4J does: floor(total/2) top-left, the rest bottom-right), dilation, Same mode,
     * data format (0 NCHW, 1 NHWC) and weight layout 1 = [oC, iC, kH, kW], DL4J's.
     */
    private int[] opArgs() {
        org.deeplearning4j.nn.conf.layers.ConvolutionLayer c = layerConf();
        boolean same = convolutionMode == ConvolutionMode.Same;
        int[] k = c.getKernelSize();
        int[] s = c.getStride();
        int[] p = same ? new int[] {0, 0} : c.getPadding();
        int[] d = c.getDilation();
        return new int[] {k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], same ? 1 : 0,
                c.getCnn2dDataFormat() == CNN2DFormat.NHWC ? 1 : 0, 1};
    }
}
