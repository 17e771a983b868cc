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
 * The oneDNN 2.5.2 route computes what DL4J's ConvolutionLayer computes: forward output, input
 * gradient and weight/bias gradients, on random shapes (kernel 1-5, stride 1-3 (at most the
 * kernel in Same mode, as DL4J requires), dilation 1-2, Same and Truncate with padding, 1-64
 * channels in and out, batch 1-64, NCHW and NHWC, bias and none, identity and ReLU).
 *
 * <p>oneDNN has no f64 convolution, so the route runs in float only, and the comparison is in
 * float: each result of the route and of DL4J's own float layer against DL4J's layer in double
 * on the same float values, as max |a - b| / max |b| (b the double result). The route must stay
 * within {@value #TOLERANCE}: oneDNN sums in another order (blocked channels, per-thread
 * partial sums) but in float as DL4J does, and the sums here have up to 64·5·5 = 1600 (forward,
 * input gradient) and 64·12·12 = 9216 (weight gradient) terms; float's unit roundoff is 6e-8.
 * DL4J's own float layer is measured alongside, for scale: its weight gradient is a gemm, whose
 * blocked partial sums round less than oneDNN's long per-weight accumulation (measured: up to
 * 4.2e-6 for the route, 3.8e-7 for DL4J, on ResNet-20's 16 → 16 convolution at batch 32, 28×28);
 * forward and input gradient are at DL4J's level. The largest errors over the random shapes are
 * printed (stdout) and recorded in bench/results/2026-12-01-cnn-speed.md.
 */
class OneDnnConvolutionExactnessTest {
    static final double TOLERANCE = 1e-5;

    /** One random layer shape. */
    record Shape(int batch, int inChannels, int outChannels, int kernel, int stride, int dilation, int padding,
                 int side, ConvolutionMode mode, CNN2DFormat format, boolean bias, Activation activation) {
        static Shape random(Random r) {
            int kernel = 1 + r.nextInt(5);
            ConvolutionMode mode = r.nextBoolean() ? ConvolutionMode.Same : ConvolutionMode.Truncate;
            int stride = 1 + r.nextInt(mode == ConvolutionMode.Same ? Math.min(3, kernel) : 3);
            int dilation = kernel > 1 && r.nextInt(4) == 0 ? 2 : 1;
            int effective = (kernel - 1) * dilation + 1;
            return new Shape(1 + r.nextInt(64), 1 + r.nextInt(64), 1 + r.nextInt(64), kernel, stride, dilation,
                    mode == ConvolutionMode.Same ? 0 : r.nextInt(kernel), effective + r.nextInt(8), mode,
                    r.nextBoolean() ? CNN2DFormat.NCHW : CNN2DFormat.NHWC, r.nextBoolean(),
                    r.nextBoolean() ? Activation.IDENTITY : Activation.RELU);
        }

        MultiLayerConfiguration conf(DataType dtype) {
            return new NeuralNetConfiguration.Builder().seed(11).dataType(dtype).updater(new Sgd(0.1))
                    .weightInit(WeightInit.XAVIER).list()
                    .layer(new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).padding(padding, padding)
                            .dilation(dilation, dilation).convolutionMode(mode).nOut(outChannels).hasBias(bias)
                            .dataFormat(format).activation(activation).build())
                    .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).format(format)
                            .activation(Activation.IDENTITY).build())
                    .setInputType(InputType.convolutional(side, side, inChannels, format))
                    .build();
        }

        long[] inputShape(int n) {
            return format == CNN2DFormat.NCHW ? new long[] {n, inChannels, side, side} : new long[] {n, side, side, inChannels};
        }
    }

    /** What one network computes on one batch: output, input gradient, flattened parameter gradient. */
    record Result(INDArray output, INDArray inputGradient, INDArray paramGradient) {
        static Result of(MultiLayerNetwork net, INDArray x, INDArray labels) {
            INDArray out = net.feedForward(x, true).get(1).dup();
            Pair<Gradient, INDArray> g = net.calculateGradients(x, labels, null, null);
            return new Result(out, g.getSecond().dup(), net.getFlattenedGradients().dup());
        }
    }

    /** The route's and DL4J-float's largest errors against DL4J in double, per result. */
    record Errors(double[] oneDnn, double[] dl4jFloat) {}

    static double relError(INDArray got, INDArray exact) {
        assertArrayEquals(exact.shape(), got.shape());
        INDArray e = exact.castTo(DataType.DOUBLE);
        double scale = Math.max(1e-30, e.amaxNumber().doubleValue());
        return got.castTo(DataType.DOUBLE).sub(e).amaxNumber().doubleValue() / scale;
    }

    /** The three networks (DL4J double, DL4J float, the oneDNN route) on shape {@code s} with the same float parameters and data. */
    static Errors compare(Shape s, long seed) {
        MultiLayerNetwork fast = new MultiLayerNetwork(FastConvolutions.apply(s.conf(DataType.FLOAT)));
        fast.init();
        FastConvolutionLayer layer = assertInstanceOf(FastConvolutionLayer.class, fast.getLayer(0));
        assertEquals(ConvRoute.ONEDNN, layer.getRoute(), "a float layer where oneDNN loads takes it");
        MultiLayerNetwork single = new MultiLayerNetwork(s.conf(DataType.FLOAT));
        single.init(fast.params().dup(), false);
        MultiLayerNetwork exact = new MultiLayerNetwork(s.conf(DataType.DOUBLE));
        exact.init(fast.params().castTo(DataType.DOUBLE), false);

        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.FLOAT, s.inputShape(s.batch()));
        INDArray labels = Nd4j.randn(DataType.FLOAT, exact.feedForward(x.castTo(DataType.DOUBLE), true).get(1).shape());
        Result e = Result.of(exact, x.castTo(DataType.DOUBLE), labels.castTo(DataType.DOUBLE));
        Result f = Result.of(fast, x, labels);
        Result d = Result.of(single, x, labels);
        double[] oneDnn = {relError(f.output(), e.output()), relError(f.inputGradient(), e.inputGradient()),
                relError(f.paramGradient(), e.paramGradient())};
        double[] dl4j = {relError(d.output(), e.output()), relError(d.inputGradient(), e.inputGradient()),
                relError(d.paramGradient(), e.paramGradient())};
        String[] what = {"output", "input gradient", "weight/bias gradient"};
        for (int i = 0; i < 3; i++) {
            String msg = String.format(Locale.ROOT, "%s %s: oneDNN %.2e, DL4J float %.2e", what[i], s, oneDnn[i], dl4j[i]);
            assertTrue(oneDnn[i] <= TOLERANCE, msg);
        }
        return new Errors(oneDnn, dl4j);
    }

    @Test
    void oneDnnLoadsOnThisMachineWhateverNd4jBuildIsLoaded() {
        // the unit tests run ND4J's generic build (surefire's argLine): the route does not depend on it
        assertTrue(OneDnnLibrary.available(), OneDnnLibrary.describe());
    }

    @Test
    void floatMatchesDl4jOnRandomShapesWithinFloatRounding() {
        Random r = new Random(20261202);
        double[] worst = new double[3];
        double[] worstDl4j = new double[3];
        for (int i = 0; i < 40; i++) {
            Errors e = compare(Shape.random(r), 300 + i);
            for (int k = 0; k < 3; k++) {
                worst[k] = Math.max(worst[k], e.oneDnn()[k]);
                worstDl4j[k] = Math.max(worstDl4j[k], e.dl4jFloat()[k]);
            }
        }
        System.out.printf(Locale.ROOT, "oneDNN route, largest relative error vs DL4J double over 40 shapes: output %.2e, "
                        + "input gradient %.2e, weight/bias gradient %.2e (DL4J float: %.2e, %.2e, %.2e)%n",
                worst[0], worst[1], worst[2], worstDl4j[0], worstDl4j[1], worstDl4j[2]);
    }

    @Test
    void theBoundaryShapesMatchDl4j() {
        // batch 1 and 64, one channel in and out, 64 channels, a kernel as large as the image, stride larger than it,
        // uneven Same padding, dilation with Truncate padding
        for (Shape s : List.of(
                new Shape(1, 1, 1, 3, 1, 1, 0, 5, ConvolutionMode.Same, CNN2DFormat.NCHW, false, Activation.IDENTITY),
                new Shape(64, 64, 64, 3, 2, 1, 0, 6, ConvolutionMode.Same, CNN2DFormat.NHWC, true, Activation.RELU),
                new Shape(3, 2, 5, 5, 1, 1, 0, 5, ConvolutionMode.Truncate, CNN2DFormat.NCHW, true, Activation.IDENTITY),
                new Shape(2, 3, 4, 2, 3, 1, 1, 4, ConvolutionMode.Truncate, CNN2DFormat.NHWC, false, Activation.RELU),
                new Shape(4, 3, 8, 4, 2, 1, 0, 9, ConvolutionMode.Same, CNN2DFormat.NCHW, true, Activation.IDENTITY),
                new Shape(5, 6, 7, 3, 1, 2, 2, 7, ConvolutionMode.Truncate, CNN2DFormat.NHWC, true, Activation.RELU),
                new Shape(32, 16, 16, 3, 1, 1, 0, 28, ConvolutionMode.Same, CNN2DFormat.NCHW, false, Activation.IDENTITY))) {
            compare(s, 7);
        }
    }

    @Test
    void aLayerFollowsItsBatchSizeAcrossCalls() {
        // the last batch of an epoch is smaller, the next epoch's full again: each size has its primitives
        Shape s = new Shape(8, 4, 6, 3, 1, 1, 0, 8, ConvolutionMode.Same, CNN2DFormat.NCHW, true, Activation.RELU);
        MultiLayerNetwork fast = new MultiLayerNetwork(FastConvolutions.apply(s.conf(DataType.FLOAT)));
        fast.init();
        MultiLayerNetwork exact = new MultiLayerNetwork(s.conf(DataType.DOUBLE));
        exact.init(fast.params().castTo(DataType.DOUBLE), false);
        for (int n : new int[] {8, 3, 8, 1, 3}) {
            Nd4j.getRandom().setSeed(n);
            INDArray x = Nd4j.randn(DataType.FLOAT, s.inputShape(n));
            INDArray labels = Nd4j.randn(DataType.FLOAT, fast.output(x).shape());
            Result f = Result.of(fast, x, labels);
            Result e = Result.of(exact, x.castTo(DataType.DOUBLE), labels.castTo(DataType.DOUBLE));
            assertTrue(relError(f.output(), e.output()) <= TOLERANCE, "output at batch " + n);
            assertTrue(relError(f.inputGradient(), e.inputGradient()) <= TOLERANCE, "input gradient at batch " + n);
            assertTrue(relError(f.paramGradient(), e.paramGradient()) <= TOLERANCE, "parameter gradient at batch " + n);
        }
    }
}
