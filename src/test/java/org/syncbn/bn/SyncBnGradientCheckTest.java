package org.syncbn.bn;

import org.syncbn.testing.SyncBnNets;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.collective.Collective;
import org.syncbn.collective.InProcessCollective;
import org.syncbn.collective.LocalCollective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite differences against the SyncBN backward pass, in double precision: DL4J's
 * GradientCheckUtil on one worker (W=1, local collective), and a central-difference check of the
 * GLOBAL loss Σ over both workers' examples with W=2 in-process workers, where the analytic
 * gradient is the sum of both workers' gradients.
 */
class SyncBnGradientCheckTest {
    private static DataType savedDefault;
    private static DataType savedFloating;

    @BeforeAll
    static void doublePrecision() {
        savedDefault = Nd4j.dataType();
        savedFloating = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restorePrecision() {
        Nd4j.setDefaultDataTypes(savedDefault, savedFloating);
    }

    /** Smooth layers only; updater NoOp as GradientCheckUtil requires. */
    static MultiLayerConfiguration net(String kind, boolean useLogStd, long seed) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.DOUBLE).updater(new NoOp()).weightInit(WeightInit.XAVIER).list();
        if (kind.equals("dense")) {
            b.layer(new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().decay(0.9).eps(1e-5).useLogStd(useLogStd).build())
                    .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).build())
                    .setInputType(InputType.feedForward(4));
        } else if (kind.equals("convNHWC")) {
            b.layer(new ConvolutionLayer.Builder(2, 2).nOut(3).dataFormat(CNN2DFormat.NHWC)
                            .activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().decay(0.9).eps(1e-5).useLogStd(useLogStd).build())
                    .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                    .layer(new DenseLayer.Builder().nOut(3).activation(Activation.TANH).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).build())
                    .setInputType(InputType.convolutional(3, 4, 2, CNN2DFormat.NHWC));
        } else {
            b.layer(new ConvolutionLayer.Builder(2, 2).nOut(2).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().decay(0.9).eps(1e-5).useLogStd(useLogStd).build())
                    .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                    .layer(new DenseLayer.Builder().nOut(3).activation(Activation.TANH).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).build())
                    .setInputType(InputType.convolutional(3, 3, 2));
        }
        return b.build();
    }

    static DataSet data(String kind, int n, Random rnd) {
        long[] shape = kind.equals("dense") ? new long[] {n, 4}
                : kind.equals("convNHWC") ? new long[] {n, 3, 4, 2} : new long[] {n, 2, 3, 3};
        int len = kind.equals("dense") ? n * 4 : n * 18;
        if (kind.equals("convNHWC")) {
            len = n * 24;
        }
        double[] f = new double[len];
        for (int i = 0; i < len; i++) {
            f[i] = rnd.nextGaussian() * 1.5 + 0.4;
        }
        double[] l = new double[n * 3];
        for (int i = 0; i < n; i++) {
            l[i * 3 + rnd.nextInt(3)] = 1;
        }
        return new DataSet(Nd4j.create(f, shape, DataType.DOUBLE), Nd4j.create(l, new long[] {n, 3}, DataType.DOUBLE));
    }

    /** A SyncBN network with the same parameters as the standard one of {@code conf}. */
    static MultiLayerNetwork syncNet(MultiLayerConfiguration conf, int ghost) {
        MultiLayerNetwork std = new MultiLayerNetwork(conf);
        std.init();
        MultiLayerNetwork net = BnConversion.toSync(std, ghost);
        for (SyncBatchNormalizationLayer l : SyncBnNets.layers(net)) {
            assertTrue(l.getCollective() instanceof LocalCollective, "W=1");
        }
        return net;
    }

    static Set<String> runningStatKeys(MultiLayerNetwork net) {
        Set<String> keys = new HashSet<>();
        for (String k : net.paramTable().keySet()) {
            if (k.endsWith("_mean") || k.endsWith("_var") || k.endsWith("_log10stdev")) {
                keys.add(k);
            }
        }
        return keys;
    }

    static Stream<Arguments> gradientCheckCases() {
        return Stream.of(
                Arguments.of("dense", true, 0),
                Arguments.of("dense", false, 0),
                Arguments.of("conv", true, 0),
                Arguments.of("convNHWC", false, 0),
                Arguments.of("dense", true, 2));   // ghost batches of 2 on a batch of 5
    }

    @ParameterizedTest(name = "{0} useLogStd={1} ghost={2}")
    @MethodSource("gradientCheckCases")
    void dl4jGradientCheckPassesOnSyncBnNetwork(String kind, boolean useLogStd, int ghost) {
        MultiLayerNetwork net = syncNet(net(kind, useLogStd, 12345), ghost);
        DataSet ds = data(kind, 5, new Random(77));
        Set<String> excluded = runningStatKeys(net);
        assertEquals(2, excluded.size(), "running statistics of the BN layer: " + excluded);
        INDArray before = net.params().dup();
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net)
                .input(ds.getFeatures()).labels(ds.getLabels())
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                .excludeParams(excluded));
        assertTrue(ok, "gradient check failed (see log)");
        // the check perturbed and restored parameters only; nothing else moved
        BnConversionAndJsonTest.assertBitwise(before, net.params(), "parameters after the gradient check");
    }

    static Stream<Arguments> globalCases() {
        return Stream.of(
                Arguments.of("dense", new int[] {3, 5}),
                Arguments.of("conv", new int[] {2, 3}),
                Arguments.of("convNHWC", new int[] {1, 3}));
    }

    /**
     * L = Σ_k Σ_{i in worker k} loss_i. Perturbing a parameter identically in both workers and
     * running the training-mode forward on both concurrently gives the central difference; the
     * analytic gradient is the sum of both workers' calculateGradients.
     */
    @ParameterizedTest(name = "{0} W=2 b={1}")
    @MethodSource("globalCases")
    void globalLossFiniteDifferencesMatchSummedWorkerGradients(String kind, int[] batches) throws Exception {
        int w = batches.length;
        MultiLayerNetwork first = syncNet(net(kind, true, 99), 0);
        List<Collective> coll = InProcessCollective.create(w, Duration.ofSeconds(30));
        List<MultiLayerNetwork> workers = new ArrayList<>();
        for (int k = 0; k < w; k++) {
            MultiLayerNetwork n = new MultiLayerNetwork(first.getLayerWiseConfigurations().clone());
            n.init(first.params().dup(), true);
            SyncBnNets.attach(n, coll.get(k));
            workers.add(n);
        }
        Random rnd = new Random(5);
        List<DataSet> parts = new ArrayList<>();
        for (int b : batches) {
            parts.add(data(kind, b, rnd));
        }
        Set<String> statKeys = runningStatKeys(first);
        ExecutorService pool = Executors.newFixedThreadPool(w);
        try {
            List<double[]> grads = SyncBnExactnessTest.onAll(pool, w, (k, n) -> {
                Pair<Gradient, INDArray> p = n.calculateGradients(parts.get(k).getFeatures(), parts.get(k).getLabels(),
                        null, null);
                return p.getFirst().gradient().toDoubleVector();
            }, workers);
            INDArray statsBefore = runningStats(workers.get(0), statKeys);

            // a handful of parameters of every kind: weights/biases before the BN, gamma, beta, and after it
            Map<String, INDArray> table = workers.get(0).paramTable();
            List<long[]> picks = new ArrayList<>();   // {flat index}
            long offset = 0;
            List<String> names = new ArrayList<>();
            for (Map.Entry<String, INDArray> e : table.entrySet()) {
                long len = e.getValue().length();
                if (!statKeys.contains(e.getKey())) {
                    picks.add(new long[] {offset});
                    picks.add(new long[] {offset + len - 1});
                    names.add(e.getKey() + "[0]");
                    names.add(e.getKey() + "[" + (len - 1) + "]");
                }
                offset += len;
            }
            double eps = 1e-6;
            int checked = 0;
            for (int p = 0; p < picks.size(); p++) {
                long i = picks.get(p)[0];
                double analytic = 0;
                for (double[] g : grads) {
                    analytic += g[(int) i];
                }
                double orig = workers.get(0).params().getDouble(i);
                setParam(workers, i, orig + eps);
                double plus = globalLoss(pool, workers, parts);
                setParam(workers, i, orig - eps);
                double minus = globalLoss(pool, workers, parts);
                setParam(workers, i, orig);
                double numeric = (plus - minus) / (2 * eps);
                double abs = Math.abs(analytic - numeric);
                double rel = abs == 0 ? 0 : abs / (Math.abs(analytic) + Math.abs(numeric));
                assertTrue(rel <= 1e-5 || abs <= 1e-9, names.get(p) + " (flat " + i + "): analytic " + analytic
                        + " vs numeric " + numeric + ", relative error " + rel);
                checked++;
            }
            assertTrue(checked >= 8, "checked " + checked + " parameters");
            for (MultiLayerNetwork n : workers) {
                BnConversionAndJsonTest.assertBitwise(statsBefore, runningStats(n, statKeys),
                        "running statistics untouched by the check's forward passes");
            }
        } finally {
            pool.shutdownNow();
            coll.forEach(Collective::close);
        }
    }

    private static void setParam(List<MultiLayerNetwork> workers, long i, double v) {
        for (MultiLayerNetwork n : workers) {
            n.params().putScalar(i, v);   // params() is the flat view of every layer's parameters
        }
    }

    /** Σ over both workers of (minibatch-averaged training-mode score × examples) = Σ per-example losses. */
    private static double globalLoss(ExecutorService pool, List<MultiLayerNetwork> workers, List<DataSet> parts)
            throws Exception {
        List<Double> losses = SyncBnExactnessTest.onAll(pool, workers.size(),
                (k, n) -> n.score(parts.get(k), true) * parts.get(k).numExamples(), workers);
        double sum = 0;
        for (double l : losses) {
            sum += l;
        }
        return sum;
    }

    private static INDArray runningStats(MultiLayerNetwork net, Set<String> keys) {
        List<INDArray> parts = new ArrayList<>();
        for (String k : new java.util.TreeSet<>(keys)) {
            parts.add(net.getParam(k).dup().reshape(1, -1));
        }
        return Nd4j.hstack(parts.toArray(new INDArray[0]));
    }
}
