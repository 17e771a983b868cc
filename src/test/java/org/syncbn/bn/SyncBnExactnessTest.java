package org.syncbn.bn;

import org.syncbn.testing.SyncBnNets;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.collective.Collective;
import org.syncbn.collective.InProcessCollective;
import org.syncbn.conv.FastConvolution;
import org.syncbn.conv.FastConvolutions;
import org.syncbn.network.Network;
import org.syncbn.network.ParamLayout;
import org.syncbn.worker.StateMerge;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exactness oracle (docs/ARCHITECTURE.md, "SyncBN math"): W SyncBN workers with unequal batches (one possibly empty),
 * plain SGD and sample-weighted averaging after every step equal ONE network with DL4J's own
 * BatchNormalization on the concatenated batch, in double precision: layer outputs, input
 * gradients, parameter gradients, parameters and running statistics after several steps; also
 * when the workers' convolutions are the project's fast ones.
 */
class SyncBnExactnessTest {
    private static final double TOL = 1e-9;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("dense", new int[] {3, 5}),
                Arguments.of("dense", new int[] {2, 4, 1}),
                Arguments.of("dense", new int[] {3, 0, 2, 4}),
                Arguments.of("conv", new int[] {2, 3}),
                Arguments.of("conv", new int[] {1, 2, 3}),
                Arguments.of("conv", new int[] {2, 2, 0, 3}),
                Arguments.of("convNHWC", new int[] {2, 3}),
                Arguments.of("convNHWC", new int[] {1, 2, 3}),
                Arguments.of("convNHWC", new int[] {2, 2, 0, 3}),
                // the workers' convolutions are the project's fast ones (org.syncbn.conv), the reference DL4J's
                Arguments.of("conv+fast", new int[] {2, 3}),
                Arguments.of("conv+fast", new int[] {2, 2, 0, 3}),
                Arguments.of("convNHWC+fast", new int[] {1, 2, 3}));
    }

    static MultiLayerConfiguration reference(String kind) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.DOUBLE)
                .updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER).list();
        if (kind.equals("dense")) {
            b.layer(new DenseLayer.Builder().nIn(6).nOut(5).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().decay(0.8).eps(1e-5).build())
                    .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                    .layer(new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().decay(0.7).eps(1e-3).useLogStd(false).build())
                    .layer(new ActivationLayer.Builder().activation(Activation.SIGMOID).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).build())
                    .setInputType(InputType.feedForward(6));
        } else if (kind.equals("convNHWC")) {
            // channels-last activations: the BN conf takes cnn2DFormat NHWC from the input type,
            // so statistics are reduced over dims (0, 1, 2) and channels sit in dim 3
            // (no activation dimension equals the channel count, so a wrong channel axis cannot pass)
            b.layer(new ConvolutionLayer.Builder(2, 2).nOut(2).dataFormat(CNN2DFormat.NHWC)
                            .activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().decay(0.8).useLogStd(false).build())
                    .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                    .layer(new ConvolutionLayer.Builder(2, 2).nOut(5).dataFormat(CNN2DFormat.NHWC)
                            .activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().decay(0.6).eps(1e-3).build())
                    .layer(new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).build())
                    .setInputType(InputType.convolutional(5, 4, 2, CNN2DFormat.NHWC));
        } else {
            b.layer(new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().decay(0.8).build())
                    .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                    .layer(new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).build())
                    .setInputType(InputType.convolutional(4, 4, 2));
        }
        return b.build();
    }

    private static DataSet batch(String kind, int n, Random rnd) {
        long[] shape = kind.equals("dense") ? new long[] {n, 6}
                : kind.equals("convNHWC") ? new long[] {n, 5, 4, 2} : new long[] {n, 2, 4, 4};
        long len = 1;
        for (long d : shape) {
            len *= d;
        }
        double[] f = new double[(int) len];
        for (int i = 0; i < f.length; i++) {
            f[i] = rnd.nextGaussian() * 2 + 0.5;
        }
        double[] l = new double[n * 3];
        for (int i = 0; i < n; i++) {
            l[i * 3 + rnd.nextInt(3)] = 1;
        }
        return new DataSet(Nd4j.create(f, shape, DataType.DOUBLE), Nd4j.create(l, new long[] {n, 3}, DataType.DOUBLE));
    }

    @ParameterizedTest(name = "{0} W={1}")
    @MethodSource("cases")
    void syncBnWorkersEqualOneNetworkOnTheConcatenatedBatch(String variant, int[] batches) throws Exception {
        int w = batches.length;
        String kind = variant.replace("+fast", "");
        MultiLayerConfiguration refConf = reference(kind);
        MultiLayerNetwork ref = new MultiLayerNetwork(refConf);
        ref.init();
        MultiLayerConfiguration syncConf = BnConversion.toSync(refConf, 0);
        if (variant.endsWith("+fast")) {
            syncConf = FastConvolutions.apply(syncConf);
            assertTrue(syncConf.getConf(0).getLayer() instanceof FastConvolution, "fast convolution");
        }
        if (kind.equals("convNHWC")) {
            for (int i : new int[] {1, 4}) {
                BatchNormalization bn = (BatchNormalization) syncConf.getConf(i).getLayer();
                assertTrue(bn instanceof SyncBatchNormalization, "layer " + i + " is synchronized");
                assertEquals(CNN2DFormat.NHWC, bn.getCnn2DFormat(), "layer " + i + " channels-last");
            }
        }
        List<MultiLayerNetwork> workers = new ArrayList<>();
        List<Collective> coll = InProcessCollective.create(w, Duration.ofSeconds(30));
        for (int k = 0; k < w; k++) {
            MultiLayerNetwork net = new MultiLayerNetwork(syncConf.clone());
            net.init(ref.params().dup(), true);
            SyncBnNets.attach(net, coll.get(k));
            workers.add(net);
        }
        ParamLayout layout = ParamLayout.of(Network.of(ref));
        
        Random rnd = new Random(11);
        ExecutorService pool = Executors.newFixedThreadPool(w);
        try {
            for (int step = 0; step < 6; step++) {
                List<DataSet> parts = new ArrayList<>();
                for (int b : batches) {
                    parts.add(b == 0 ? null : batch(kind, b, rnd));
                }
                DataSet all = DataSet.merge(parts.stream().filter(p -> p != null).toList());
                if (step == 0) {
                    compareForwardAndGradients(ref, workers, parts, all, coll, pool);
                }
                ref.fit(all);
                List<StateMerge.Local> results = onAll(pool, w, (k, net) -> {
                    MultiLayerNetwork n = workers.get(k);
                    if (parts.get(k) == null) {
                        SyncBnNets.sitOutStep(n, coll.get(k));
                    } else {
                        n.fit(parts.get(k));
                    }
                    return new StateMerge.Local(n.params().toDoubleVector(), new double[0],
                            parts.get(k) == null ? 0 : parts.get(k).numExamples());
                }, workers);
                double[] merged = StateMerge.of(results, layout).params();
                for (MultiLayerNetwork n : workers) {
                    n.setParams(Nd4j.createFromArray(merged).reshape(1, merged.length));
                }
                assertClose(ref.params().toDoubleVector(), merged, "parameters after step " + (step + 1));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void compareForwardAndGradients(MultiLayerNetwork ref, List<MultiLayerNetwork> workers, List<DataSet> parts,
                                            DataSet all, List<Collective> coll, ExecutorService pool) throws Exception {
        int w = workers.size();
        List<INDArray> refActs = ref.feedForward(all.getFeatures(), true);
        List<List<INDArray>> acts = onAll(pool, w, (k, n) -> {
            if (parts.get(k) == null) {
                SyncBnNets.sitOutForward(n, coll.get(k));
                return null;
            }
            return n.feedForward(parts.get(k).getFeatures(), true);
        }, workers);
        Pair<Gradient, INDArray> refGrad = ref.calculateGradients(all.getFeatures(), all.getLabels(), null, null);
        List<Pair<Gradient, INDArray>> grads = onAll(pool, w, (k, n) -> {
            if (parts.get(k) == null) {
                SyncBnNets.sitOutStep(n, coll.get(k));
                return null;
            }
            return n.calculateGradients(parts.get(k).getFeatures(), parts.get(k).getLabels(), null, null);
        }, workers);

        ParamLayout layout = ParamLayout.of(Network.of(ref));
        double[] refG = refGrad.getFirst().gradient().toDoubleVector();
        double[] sum = new double[refG.length];
        long row = 0;
        for (int k = 0; k < w; k++) {
            if (parts.get(k) == null) {
                continue;
            }
            long n = parts.get(k).numExamples();
            for (int layer = 0; layer < refActs.size(); layer++) {
                INDArray expected = refActs.get(layer).get(NDArrayIndex.interval(row, row + n));
                assertClose(flat(expected), flat(acts.get(k).get(layer)),
                        "worker " + k + " activations of layer " + (layer - 1));
            }
            INDArray expectedEps = refGrad.getSecond().get(NDArrayIndex.interval(row, row + n));
            assertClose(flat(expectedEps), flat(grads.get(k).getSecond()),
                    "worker " + k + " input gradient");
            double[] g = grads.get(k).getFirst().gradient().toDoubleVector();
            for (int i = 0; i < g.length; i++) {
                sum[i] += isRunningStat(layout, i) ? 0 : g[i];
                if (isRunningStat(layout, i)) {
                    assertEquals(refG[i], g[i], TOL, "worker " + k + " running-statistics update " + i);
                }
            }
            row += n;
        }
        for (int i = 0; i < refG.length; i++) {
            if (!isRunningStat(layout, i)) {
                assertEquals(refG[i], sum[i], TOL, "summed parameter gradient " + i);
            }
        }
    }

    private static boolean isRunningStat(ParamLayout layout, int i) {
        for (ParamLayout.BnStatsSlot s : layout.bnStats()) {
            if ((i >= s.meanOffset() && i < s.meanOffset() + s.channels())
                    || (i >= s.varOffset() && i < s.varOffset() + s.channels())) {
                return true;
            }
        }
        return false;
    }

    static <T> List<T> onAll(ExecutorService pool, int w, BiFunction<Integer, MultiLayerNetwork, T> f,
                             List<MultiLayerNetwork> nets) throws Exception {
        List<Future<T>> fs = new ArrayList<>();
        for (int k = 0; k < w; k++) {
            int rank = k;
            fs.add(pool.submit(() -> f.apply(rank, nets.get(rank))));
        }
        List<T> out = new ArrayList<>();
        for (Future<T> fut : fs) {
            out.add(fut.get());
        }
        return out;
    }

    static double[] flat(INDArray a) {
        return a.dup('c').reshape(a.length()).toDoubleVector();
    }

    static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max <= TOL, what + ": max abs difference " + max);
    }
}
