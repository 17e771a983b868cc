package org.syncbn.bn;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused training kernels of {@link SyncBatchNormalizationLayer} ({@link FusedBnKernels}) against
 * DL4J's own BatchNormalization layer, one training forward and backward on random shapes (dense,
 * NCHW, NHWC; batch 1..64, channels 1..64, spatial 1x1..9x9), one normalisation batch or ghost
 * batches with and without a remainder (DL4J's layer run on each ghost batch in turn), inputs and
 * gradients that are views: output, input gradient, dγ, dβ and the running-statistics update.
 * Error measure: max |a − b| / max |b| per array; for the input gradient of normalisation batches of
 * 1 or 2 elements per channel (dense ghost batches or remainders of 1 or 2 rows), where dx is 0 up
 * to terms in ε and every implementation returns rounding noise of its cancelling terms,
 * max |a − b| / (max |dy| · max γ / √ε), the bound of those terms (σ ≥ √ε).
 */
class FusedBnKernelsTest {
    /**
     * Double: the same algebra summed in another order; measured max 1.6e-14 over these cases (the
     * running-mean update old − new; output 1.7e-15, input gradient 1.8e-15, dγ 7.2e-15, dβ 4.4e-15).
     */
    private static final double DOUBLE_TOL = 1e-12;
    /**
     * Float layer on the float-rounded inputs against DL4J's layer in double on the same values:
     * measured max 1.7e-7 over these cases (output 1.7e-7, input gradient 1.3e-7, dγ and dβ 5.2e-8,
     * running statistics 5.7e-8): float rounding of the stored results and of the elementwise passes.
     */
    private static final double FLOAT_TOL = 1e-6;
    private static final double EPS = 1e-5;

    /** One random case: layout, shape, ghost batch size (0: none), how the input is presented. */
    record Case(int seed, String layout, int n, int c, int h, int w, int ghost, String view) {
        @Override
        public String toString() {
            return layout + " n=" + n + " c=" + c + " " + h + "x" + w + " ghost=" + ghost + " " + view;
        }
    }

    static Stream<Case> cases() {
        Random rnd = new Random(2026);
        String[] layouts = {"dense", "NCHW", "NHWC"};
        String[] views = {"dense", "offsetView", "fOrder"};
        Stream<Case> random = IntStream.range(0, 36).mapToObj(i -> {
            String layout = layouts[i % 3];
            int n = 1 + rnd.nextInt(i < 6 ? 3 : 64);
            int c = 1 + rnd.nextInt(i % 4 == 0 ? 64 : 8);
            boolean conv = !layout.equals("dense");
            int h = conv ? 1 + rnd.nextInt(9) : 1;
            int w = conv ? 1 + rnd.nextInt(9) : 1;
            // ghost batches: none, dividing n exactly, or leaving a remainder
            int ghost = (i / 3) % 3 == 0 || n < 2 ? 0 : (i / 3) % 3 == 1 ? divisor(n, rnd) : 1 + rnd.nextInt(n - 1);
            return new Case(i, layout, n, c, h, w, ghost, views[(i / 9) % 3]);
        });
        Stream<Case> edges = Stream.of(
                new Case(100, "NCHW", 64, 64, 9, 9, 0, "dense"),
                new Case(101, "NHWC", 64, 64, 9, 9, 8, "offsetView"),
                new Case(102, "dense", 64, 64, 1, 1, 5, "fOrder"),
                new Case(103, "NCHW", 1, 1, 1, 1, 0, "dense"),
                new Case(104, "NCHW", 7, 3, 2, 3, 2, "fOrder"),
                new Case(105, "NHWC", 5, 2, 3, 1, 3, "dense"));
        return Stream.concat(random, edges);
    }

    private static int divisor(int n, Random rnd) {
        int[] ds = IntStream.rangeClosed(1, n - 1).filter(d -> n % d == 0).toArray();
        return ds.length == 0 ? 0 : ds[rnd.nextInt(ds.length)];
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void doubleKernelsMatchDl4jBatchNormalization(Case k) {
        Map<String, Double> err = compare(k, DataType.DOUBLE);
        err.forEach((what, e) -> assertTrue(e <= DOUBLE_TOL, k + ": " + what + " relative error " + e));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void floatKernelsMatchDl4jBatchNormalizationInDouble(Case k) {
        Map<String, Double> err = compare(k, DataType.FLOAT);
        err.forEach((what, e) -> assertTrue(e <= FLOAT_TOL, k + ": " + what + " relative error " + e));
    }

    /**
     * The layer keeps its Java arrays from step to step: steps of one layer on new values of the
     * same shape, a smaller batch, and the first shape again each match DL4J's layer (which is
     * given the same parameters before every step).
     */
    @org.junit.jupiter.api.Test
    void aLayerReusingItsArraysFromStepToStepMatchesDl4jAtEveryStep() {
        Case k = new Case(7, "NCHW", 12, 5, 3, 4, 4, "dense");
        Random rnd = new Random(99);
        MultiLayerNetwork ref = net(k, DataType.DOUBLE);
        MultiLayerNetwork sync = new MultiLayerNetwork(BnConversion.toSync(net(k, DataType.DOUBLE)
                .getLayerWiseConfigurations(), k.ghost()));
        sync.init();
        sync.initGradientsView();
        for (int n : new int[] {12, 12, 7, 12}) {
            long[] shape = {n, k.c(), k.h(), k.w()};
            INDArray x = random(shape, rnd, 2.0, -0.4);
            INDArray dy = random(shape, rnd, 1.0, 0.1);
            ref.setParams(sync.params().dup());
            Pass expected = reference(ref, x, dy, k.ghost());
            Pass actual = pass(sync.getLayer(0), x.dup(), dy.dup());
            assertTrue(relative(actual.y(), expected.y()) <= DOUBLE_TOL, "output, batch " + n);
            assertTrue(relative(actual.dx(), expected.dx()) <= DOUBLE_TOL, "input gradient, batch " + n);
            for (String key : expected.grads().keySet()) {
                assertTrue(relative(actual.grads().get(key), expected.grads().get(key)) <= DOUBLE_TOL, key + ", batch " + n);
            }
            // the step's parameter change, as an updater would apply it (γ, β and the running statistics move)
            sync.params().subi(sync.getFlattenedGradients().mul(0.1));
        }
    }

    /** The SyncBN layer in {@code type} against DL4J's layer in double on the same values; per array its error. */
    private static Map<String, Double> compare(Case k, DataType type) {
        Random rnd = new Random(k.seed());
        boolean dense = k.layout().equals("dense");
        long[] shape = dense ? new long[] {k.n(), k.c()} : k.layout().equals("NCHW")
                ? new long[] {k.n(), k.c(), k.h(), k.w()} : new long[] {k.n(), k.h(), k.w(), k.c()};
        // values rounded to the tested type, so that both layers see the same numbers
        INDArray x = random(shape, rnd, 3.0, 0.7).castTo(type).castTo(DataType.DOUBLE);
        INDArray dy = random(shape, rnd, 1.0, 0.2).castTo(type).castTo(DataType.DOUBLE);

        MultiLayerNetwork ref = net(k, DataType.DOUBLE);
        INDArray params = ref.params().dup();
        for (long i = 0; i < params.length(); i++) {
            // γ, β, running mean, running variance (or log10 σ): all positive and away from 0
            params.putScalar(i, 0.3 + rnd.nextDouble());
        }
        params = params.castTo(type).castTo(DataType.DOUBLE);
        ref.setParams(params);
        MultiLayerNetwork sync = new MultiLayerNetwork(BnConversion.toSync(net(k, type).getLayerWiseConfigurations(),
                k.ghost()));
        sync.init();
        sync.initGradientsView();
        sync.setParams(params.castTo(type));
        assertTrue(sync.getLayer(0) instanceof SyncBatchNormalizationLayer);

        Pass expected = reference(ref, x, dy, k.ghost());
        Pass actual = pass(sync.getLayer(0), present(x.castTo(type), k.view()), present(dy.castTo(type), k.view()));

        Map<String, Double> err = new TreeMap<>();
        err.put("output", relative(actual.y(), expected.y()));
        err.put("input gradient", smallestBatch(k) > 2 ? relative(actual.dx(), expected.dx())
                : actual.dx().sub(expected.dx()).amaxNumber().doubleValue()
                / (dy.amaxNumber().doubleValue() * params.amaxNumber().doubleValue() / Math.sqrt(EPS)));
        assertEquals(expected.grads().keySet(), actual.grads().keySet());
        for (String key : expected.grads().keySet()) {
            err.put("gradient " + key, relative(actual.grads().get(key), expected.grads().get(key)));
        }
        return err;
    }

    /** Elements per channel of the case's smallest normalisation batch. */
    private static long smallestBatch(Case k) {
        long rows = k.ghost() <= 0 || k.ghost() >= k.n() ? k.n()
                : k.n() % k.ghost() == 0 ? k.ghost() : Math.min(k.ghost(), k.n() % k.ghost());
        return rows * k.h() * k.w();
    }

    private static MultiLayerNetwork net(Case k, DataType type) {
        CNN2DFormat format = k.layout().equals("NHWC") ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(type).list()
                .layer(new BatchNormalization.Builder().decay(0.8).eps(EPS).useLogStd(k.seed() % 2 == 0).build())
                .setInputType(k.layout().equals("dense") ? InputType.feedForward(k.c())
                        : InputType.convolutional(k.h(), k.w(), k.c(), format))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.initGradientsView();
        return net;
    }

    /** Output, input gradient, and the parameter "gradients" (dγ, dβ, running statistics old − new) of one pass. */
    record Pass(INDArray y, INDArray dx, Map<String, INDArray> grads) {}

    private static Pass pass(Layer l, INDArray x, INDArray dy) {
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        l.setInput(x, mgr);
        INDArray y = l.activate(true, mgr).castTo(DataType.DOUBLE).dup();
        Pair<Gradient, INDArray> g = l.backpropGradient(dy, mgr);
        Map<String, INDArray> grads = new TreeMap<>();
        g.getFirst().gradientForVariable().forEach((key, v) -> grads.put(key, v.castTo(DataType.DOUBLE).dup()));
        return new Pass(y, g.getSecond().castTo(DataType.DOUBLE).dup(), grads);
    }

    /**
     * DL4J's layer on the whole batch, or on each ghost batch of g rows (and the remainder) in turn,
     * each running-statistics update applied before the next batch as DL4J's no-op updater does;
     * the running-statistics "gradient" is then old − final, and dγ, dβ the sums over ghost batches.
     */
    private static Pass reference(MultiLayerNetwork ref, INDArray x, INDArray dy, int g) {
        Layer l = ref.getLayer(0);
        long n = x.size(0);
        if (g <= 0 || g >= n) {
            return pass(l, x, dy);
        }
        Map<String, INDArray> before = new TreeMap<>();
        l.paramTable().forEach((key, v) -> before.put(key, v.dup()));
        INDArray y = Nd4j.create(DataType.DOUBLE, x.shape());
        INDArray dx = Nd4j.create(DataType.DOUBLE, x.shape());
        Map<String, INDArray> sums = new TreeMap<>();
        for (long from = 0; from < n; from += g) {
            long to = Math.min(n, from + g);
            Pass p = pass(l, rows(x, from, to).dup(), rows(dy, from, to).dup());
            rows(y, from, to).assign(p.y());
            rows(dx, from, to).assign(p.dx());
            for (Map.Entry<String, INDArray> e : p.grads().entrySet()) {
                String key = e.getKey();
                if (key.equals("gamma") || key.equals("beta")) {
                    sums.merge(key, e.getValue(), INDArray::add);
                } else {
                    l.getParam(key).subi(e.getValue().reshape(l.getParam(key).shape()));
                }
            }
        }
        for (String key : before.keySet()) {
            if (!sums.containsKey(key)) {
                sums.put(key, before.get(key).sub(l.getParam(key)).reshape(-1));
            }
        }
        Map<String, INDArray> grads = new TreeMap<>();
        sums.forEach((key, v) -> grads.put(key, v.reshape(-1)));
        return new Pass(y, dx, grads);
    }

    private static INDArray rows(INDArray a, long from, long to) {
        return a.get(NDArrayIndex.interval(from, to));
    }

    private static INDArray random(long[] shape, Random rnd, double scale, double offset) {
        INDArray a = Nd4j.create(DataType.DOUBLE, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, offset + scale * rnd.nextGaussian());
        }
        return a;
    }

    /** The same values as a dense array, a view at an offset inside a larger array, or in 'f' order. */
    private static INDArray present(INDArray a, String view) {
        return switch (view) {
            case "dense" -> a.dup('c');
            case "offsetView" -> {
                long[] big = a.shape().clone();
                big[0] += 2;
                INDArray host = Nd4j.create(a.dataType(), big).assign(-7.0);
                INDArray v = host.get(NDArrayIndex.interval(1, 1 + a.size(0)));
                v.assign(a);
                yield v;
            }
            case "fOrder" -> a.dup('f');
            default -> throw new IllegalArgumentException(view);
        };
    }

    private static double relative(INDArray actual, INDArray expected) {
        INDArray a = actual.reshape(-1);
        INDArray b = expected.reshape(-1);
        assertEquals(b.length(), a.length());
        double scale = b.amaxNumber().doubleValue();
        double diff = a.sub(b).amaxNumber().doubleValue();
        return scale == 0 ? diff : diff / scale;
    }
}
