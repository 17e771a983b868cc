package org.syncbn.conv;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A FastConvolution layer computes what DL4J's ConvolutionLayer computes: the forward output, the
 * gradient with respect to its input, and the weight and bias gradients, on random shapes (kernel
 * 1-5, stride 1-3 (at most the kernel in Same mode, as DL4J requires), Same and Truncate padding, 1-64 channels in and out, batch 1-64, NCHW and NHWC,
 * with and without bias, identity and ReLU activation). In double precision each agrees with
 * DL4J's to <= 1e-9 (max abs difference relative to the largest magnitude) through libnd4j's
 * conv2d forward and through conv2d + conv2d_bp: in double these run libnd4j's own kernels with
 * exactly the wiring (argument order, padding, format, bias, gradient views) that libnd4j's oneDNN
 * 2.3 runs in float on a oneDNN ND4J build. In float the route this JVM picks (oneDNN 2.5.2 where it
 * loads, as here: OneDnnConvolutionExactnessTest holds it to DL4J in detail) agrees to float
 * rounding (NativeBuildChoiceTest runs the oneDNN ND4J build itself).
 */
class FastConvolutionExactnessTest {
    private static final double DOUBLE_TOL = 1e-9;
    private static final double FLOAT_TOL = 2e-4;
    /** libnd4j's conv2d forward, DL4J's own backward. */
    private static final ConvRoute LIBND4J_FORWARD = new ConvRoute(ConvRoute.Kernel.LIBND4J, ConvRoute.Kernel.DL4J);

    /** One random layer shape. */
    record Shape(int batch, int inChannels, int outChannels, int kernel, int stride, int padding, int side,
                 ConvolutionMode mode, CNN2DFormat format, boolean bias, Activation activation) {
        static Shape random(Random r) {
            int kernel = 1 + r.nextInt(5);
            ConvolutionMode mode = r.nextBoolean() ? ConvolutionMode.Same : ConvolutionMode.Truncate;
            // DL4J itself rejects Same mode with a stride larger than the kernel (negative padding)
            int stride = 1 + r.nextInt(mode == ConvolutionMode.Same ? Math.min(3, kernel) : 3);
            return new Shape(1 + r.nextInt(64), 1 + r.nextInt(64), 1 + r.nextInt(64), kernel, stride,
                    mode == ConvolutionMode.Same ? 0 : r.nextInt(kernel), kernel + r.nextInt(8), mode,
                    r.nextBoolean() ? CNN2DFormat.NCHW : CNN2DFormat.NHWC, r.nextBoolean(),
                    r.nextBoolean() ? Activation.IDENTITY : Activation.RELU);
        }

        MultiLayerConfiguration conf(DataType dtype) {
            return new NeuralNetConfiguration.Builder().seed(11).dataType(dtype).updater(new Sgd(0.1))
                    .weightInit(WeightInit.XAVIER).list()
                    .layer(new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).padding(padding, padding)
                            .convolutionMode(mode).nOut(outChannels).hasBias(bias).dataFormat(format)
                            .activation(activation).build())
                    .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).format(format)
                            .activation(Activation.IDENTITY).build())
                    .setInputType(InputType.convolutional(side, side, inChannels, format))
                    .build();
        }

        long[] inputShape() {
            return format == CNN2DFormat.NCHW ? new long[] {batch, inChannels, side, side}
                    : new long[] {batch, side, side, inChannels};
        }
    }

    /** What one network computes on one batch. */
    record Result(INDArray output, INDArray inputGradient, INDArray paramGradient) {}

    private static Result run(MultiLayerNetwork net, INDArray x, INDArray labels) {
        List<INDArray> acts = net.feedForward(x, true);
        INDArray out = acts.get(1).dup();
        Pair<Gradient, INDArray> g = net.calculateGradients(x, labels, null, null);
        return new Result(out, g.getSecond().dup(), net.getFlattenedGradients().dup());
    }

    private static double relDiff(INDArray a, INDArray b) {
        assertArrayEquals(a.shape(), b.shape());
        double scale = Math.max(1e-30, Math.max(a.amaxNumber().doubleValue(), b.amaxNumber().doubleValue()));
        return a.sub(b).amaxNumber().doubleValue() / scale;
    }

    /** The fast layer's and DL4J's results on shape {@code s}, with the fast layer on {@code route} (null: its own). */
    private static void compare(Shape s, DataType dtype, ConvRoute route, double tol, long seed) {
        MultiLayerNetwork ref = new MultiLayerNetwork(s.conf(dtype));
        ref.init();
        MultiLayerNetwork fast = new MultiLayerNetwork(FastConvolutions.apply(s.conf(dtype)));
        fast.init(ref.params().dup(), false);
        FastConvolutionLayer layer = assertInstanceOf(FastConvolutionLayer.class, fast.getLayer(0));
        if (route != null) {
            layer.setRoute(route);
        }
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(dtype, s.inputShape());
        INDArray probe = ref.feedForward(x, true).get(1);
        INDArray labels = Nd4j.randn(dtype, probe.shape());
        Result a = run(ref, x, labels);
        Result b = run(fast, x, labels);
        String what = String.format(Locale.ROOT, "%s route=%s dtype=%s", s, layer.getRoute(), dtype);
        assertTrue(relDiff(a.output(), b.output()) <= tol, "output " + what + ": " + relDiff(a.output(), b.output()));
        assertTrue(relDiff(a.inputGradient(), b.inputGradient()) <= tol,
                "input gradient " + what + ": " + relDiff(a.inputGradient(), b.inputGradient()));
        assertTrue(relDiff(a.paramGradient(), b.paramGradient()) <= tol,
                "weight/bias gradient " + what + ": " + relDiff(a.paramGradient(), b.paramGradient()));
    }

    @Test
    void doublePrecisionMatchesDl4jOnRandomShapesThroughLibnd4jsConv2dForwardWithDl4jsBackward() {
        Random r = new Random(20261201);
        for (int i = 0; i < 24; i++) {
            compare(Shape.random(r), DataType.DOUBLE, LIBND4J_FORWARD, DOUBLE_TOL, i);
        }
    }

    @Test
    void doublePrecisionMatchesDl4jOnRandomShapesThroughLibnd4jsConv2dBp() {
        Random r = new Random(7);
        for (int i = 0; i < 24; i++) {
            compare(Shape.random(r), DataType.DOUBLE, ConvRoute.OPS, DOUBLE_TOL, 100 + i);
        }
    }

    @Test
    void floatMatchesDl4jToFloatRoundingOnThisBuildsRoute() {
        Random r = new Random(99);
        for (int i = 0; i < 12; i++) {
            compare(Shape.random(r), DataType.FLOAT, null, FLOAT_TOL, 200 + i);
        }
    }

    @Test
    void theBoundaryShapesMatchDl4j() {
        // batch 1 and 64, one channel in and out, 64 channels, a kernel as large as the image, stride larger than it
        for (Shape s : List.of(
                new Shape(1, 1, 1, 3, 1, 0, 5, ConvolutionMode.Same, CNN2DFormat.NCHW, false, Activation.IDENTITY),
                new Shape(64, 64, 64, 3, 2, 0, 6, ConvolutionMode.Same, CNN2DFormat.NHWC, true, Activation.RELU),
                new Shape(3, 2, 5, 5, 1, 0, 5, ConvolutionMode.Truncate, CNN2DFormat.NCHW, true, Activation.IDENTITY),
                new Shape(2, 3, 4, 2, 3, 1, 4, ConvolutionMode.Truncate, CNN2DFormat.NHWC, false, Activation.RELU))) {
            compare(s, DataType.DOUBLE, LIBND4J_FORWARD, DOUBLE_TOL, 5);
            compare(s, DataType.DOUBLE, ConvRoute.OPS, DOUBLE_TOL, 6);
        }
    }

    @Test
    void floatLayersTakeOneDnnWhereItLoadsElseOnlyUndilatedFloatLayersOnAOneDnnBuildLeaveDl4jsCode() {
        org.syncbn.natives.NativeBuild generic = new org.syncbn.natives.NativeBuild("", false, true, 1, 1, "");
        org.syncbn.natives.NativeBuild oneDnn = new org.syncbn.natives.NativeBuild("-onednn-avx2", true, true, 2, 3, "");
        org.syncbn.natives.NativeBuild switchedOff = new org.syncbn.natives.NativeBuild("-onednn-avx2", true, false, 2, 3, "");
        java.util.function.BooleanSupplier loads = () -> true;
        java.util.function.BooleanSupplier absent = () -> false;
        java.util.function.BooleanSupplier neverAsked = () -> {
            throw new AssertionError("a double layer must not load oneDNN");
        };
        for (org.syncbn.natives.NativeBuild build : List.of(generic, oneDnn, switchedOff)) {
            assertEquals(ConvRoute.ONEDNN, ConvRoute.choose(DataType.FLOAT, new int[] {1, 1}, build, loads));
            assertEquals(ConvRoute.ONEDNN, ConvRoute.choose(DataType.FLOAT, new int[] {2, 2}, build, loads));
            assertEquals(ConvRoute.DL4J, ConvRoute.choose(DataType.DOUBLE, new int[] {1, 1}, build, neverAsked));
        }
        assertEquals(ConvRoute.DL4J, ConvRoute.choose(DataType.FLOAT, new int[] {2, 2}, oneDnn, absent));
        assertEquals(ConvRoute.OPS, ConvRoute.choose(DataType.FLOAT, new int[] {1, 1}, oneDnn, absent));
        assertEquals(ConvRoute.DL4J, ConvRoute.choose(DataType.FLOAT, new int[] {1, 1}, generic, absent));
        assertEquals(ConvRoute.DL4J, ConvRoute.choose(DataType.FLOAT, new int[] {2, 2}, generic, absent));
        assertEquals(ConvRoute.DL4J, ConvRoute.choose(DataType.FLOAT, new int[] {1, 1}, switchedOff, absent));
    }
}
