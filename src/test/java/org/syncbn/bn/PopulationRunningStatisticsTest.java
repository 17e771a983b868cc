package org.syncbn.bn;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.collective.Collective;
import org.syncbn.collective.InProcessCollective;
import org.syncbn.testing.SyncBnNets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bn.runningStats = population}: a training step updates every BN layer's running statistics
 * ONCE, with the mean and the unbiased variance Σ(x − μ)²/(N − 1) of all N elements its normalisation
 * batches held together (ghost batches of a worker, or the members of a sync collective, an empty
 * member included), computed here from the layer's input activations with plain loops; and that
 * removes the (g − 1)/g bias DL4J's rule has for small normalisation batches.
 */
class PopulationRunningStatisticsTest {
    private static final double TOL = 1e-12;

    /** Dense → BN → tanh → dense → BN → output, both BN layers with the population rule. */
    private static MultiLayerConfiguration network(int ghost, double lr, double decay, boolean useLogStd) {
        MultiLayerConfiguration standard = new NeuralNetConfiguration.Builder().seed(11).dataType(DataType.DOUBLE)
                .updater(new Sgd(lr)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(5).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().decay(decay).useLogStd(useLogStd).build())
                .layer(new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build())
                .layer(new BatchNormalization.Builder().decay(decay).useLogStd(useLogStd).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(6))
                .build();
        return BnConversion.toSync(standard, ghost, true);
    }

    private static DataSet batch(int n, Random rnd) {
        double[] f = new double[n * 6];
        for (int i = 0; i < f.length; i++) {
            f[i] = rnd.nextGaussian() * (1 + i % 3) + 0.3 * (i % 6);
        }
        double[] l = new double[n * 3];
        for (int i = 0; i < n; i++) {
            l[i * 3 + rnd.nextInt(3)] = 1;
        }
        return new DataSet(Nd4j.create(f, new long[] {n, 6}, DataType.DOUBLE),
                Nd4j.create(l, new long[] {n, 3}, DataType.DOUBLE));
    }

    /** Per channel (column) of the rows of all arrays: {mean, Σ(x − mean)²/(N − 1)}, N the row count. */
    private static double[][] meanAndUnbiasedVariance(List<INDArray> parts) {
        int channels = (int) parts.get(0).size(1);
        double[] sum = new double[channels];
        long rows = 0;
        for (INDArray p : parts) {
            double[][] x = p.toDoubleMatrix();
            rows += x.length;
            for (double[] row : x) {
                for (int c = 0; c < channels; c++) {
                    sum[c] += row[c];
                }
            }
        }
        double[] mean = new double[channels];
        double[] var = new double[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = sum[c] / rows;
        }
        for (INDArray p : parts) {
            for (double[] row : p.toDoubleMatrix()) {
                for (int c = 0; c < channels; c++) {
                    var[c] += (row[c] - mean[c]) * (row[c] - mean[c]);
                }
            }
        }
        for (int c = 0; c < channels; c++) {
            var[c] /= rows - 1;
        }
        return new double[][] {mean, var};
    }

    /** The two BN layers' running {mean, variance} one step after {@code before}: one update each. */
    private static double[][][] expectedAfterOneStep(MultiLayerNetwork before, List<List<INDArray>> activations,
                                                     double decay) {
        double[][][] out = new double[2][][];
        int[] bnLayers = {1, 3};
        for (int i = 0; i < 2; i++) {
            int layer = bnLayers[i];
            List<INDArray> inputs = new ArrayList<>();
            for (List<INDArray> worker : activations) {
                if (worker != null) {
                    inputs.add(worker.get(layer));   // feedForward lists [input, out 0, out 1, ...]: layer i's input at i
                }
            }
            double[][] step = meanAndUnbiasedVariance(inputs);
            BnStatistics old = BnStatistics.readRunning(before.getLayer(layer));
            double[] oldVar = old.variance();
            double[] m = new double[step[0].length];
            double[] v = new double[m.length];
            for (int c = 0; c < m.length; c++) {
                m[c] = decay * old.mean()[c] + (1 - decay) * step[0][c];
                v[c] = decay * oldVar[c] + (1 - decay) * step[1][c];
            }
            out[i] = new double[][] {m, v};
        }
        return out;
    }

    private static void assertRunning(double[][][] expected, MultiLayerNetwork net, String what) {
        int[] bnLayers = {1, 3};
        for (int i = 0; i < 2; i++) {
            BnStatistics got = BnStatistics.readRunning(net.getLayer(bnLayers[i]));
            assertClose(expected[i][0], got.mean(), what + " layer " + bnLayers[i] + " running mean");
            assertClose(expected[i][1], got.variance(), what + " layer " + bnLayers[i] + " running variance");
        }
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        for (int c = 0; c < expected.length; c++) {
            assertEquals(expected[c], actual[c], TOL * Math.max(1, Math.abs(expected[c])), what + " [" + c + "]");
        }
    }

    static Stream<Arguments> singleWorkerCases() {
        return Stream.of(
                Arguments.of(0, 12, true),     // local: the worker's batch
                Arguments.of(4, 12, false),    // three ghost batches of 4: ONE update with all 12 rows
                Arguments.of(5, 12, true),     // ghost batches of 5, 5, 2
                Arguments.of(2, 16, false));
    }

    @ParameterizedTest(name = "ghost={0} b={1} useLogStd={2}")
    @MethodSource("singleWorkerCases")
    void aStepUpdatesTheRunningStatisticsOnceWithTheUnbiasedStatisticsOfAllItsBatches(int ghost, int n,
                                                                                     boolean useLogStd) {
        double decay = 0.8;
        MultiLayerNetwork net = new MultiLayerNetwork(network(ghost, 0.1, decay, useLogStd));
        net.init();
        DataSet data = batch(n, new Random(5));
        for (int step = 0; step < 2; step++) {   // the second step starts from non-initial statistics
            List<INDArray> acts = net.feedForward(data.getFeatures(), true);
            double[][][] expected = expectedAfterOneStep(net, List.of(acts), decay);
            net.fit(data);
            assertRunning(expected, net, "step " + step);
        }
    }

    @Test
    void syncMembersUpdateOnceWithTheGlobalBatchAndAnEmptyMemberKeepsTheSameStatistics() throws Exception {
        int[] batches = {5, 0, 3};
        int w = batches.length;
        double decay = 0.7;
        MultiLayerConfiguration conf = network(0, 0.1, decay, true);
        MultiLayerNetwork init = new MultiLayerNetwork(conf);
        init.init();
        List<Collective> coll = InProcessCollective.create(w, Duration.ofSeconds(30));
        List<MultiLayerNetwork> workers = new ArrayList<>();
        for (int k = 0; k < w; k++) {
            MultiLayerNetwork n = new MultiLayerNetwork(conf.clone());
            n.init(init.params().dup(), true);
            SyncBnNets.attach(n, coll.get(k));
            workers.add(n);
        }
        Random rnd = new Random(23);
        List<DataSet> parts = new ArrayList<>();
        for (int b : batches) {
            parts.add(b == 0 ? null : batch(b, rnd));
        }
        ExecutorService pool = Executors.newFixedThreadPool(w);
        try {
            List<List<INDArray>> acts = SyncBnExactnessTest.onAll(pool, w, (k, n) -> {
                if (parts.get(k) == null) {
                    SyncBnNets.sitOutForward(n, coll.get(k));
                    return null;
                }
                return n.feedForward(parts.get(k).getFeatures(), true);
            }, workers);
            double[][][] expected = expectedAfterOneStep(init, acts, decay);
            SyncBnExactnessTest.onAll(pool, w, (k, n) -> {
                if (parts.get(k) == null) {
                    SyncBnNets.sitOutStep(n, coll.get(k));
                } else {
                    n.fit(parts.get(k));
                }
                return null;
            }, workers);
            for (int k = 0; k < w; k++) {
                assertRunning(expected, workers.get(k), "worker " + k + " (b = " + batches[k] + ")");
                for (int layer : new int[] {1, 3}) {
                    assertArrayEquals(BnStatistics.readRunning(workers.get(0).getLayer(layer)).variance(),
                            BnStatistics.readRunning(workers.get(k).getLayer(layer)).variance(),
                            "worker " + k + " holds bitwise worker 0's running variance, layer " + layer);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * With fixed weights (learning rate 0) the first BN layer sees a fixed distribution; after many
     * steps of ghost batches of 2, DL4J's rule estimates about half its variance, the population
     * rule about all of it.
     */
    @Test
    void ghostBatchesOfTwoHalveDl4jsRunningVarianceButNotThePopulationRules() {
        double dl4j = runningOverPopulationVariance(false);
        double population = runningOverPopulationVariance(true);
        assertTrue(dl4j > 0.4 && dl4j < 0.6, "DL4J's rule at ghost:2: running / population variance " + dl4j);
        assertTrue(population > 0.9 && population < 1.1, "population rule at ghost:2: " + population);
    }

    /** Mean over the first BN layer's channels of running variance / the variance of its inputs. */
    private static double runningOverPopulationVariance(boolean populationRule) {
        MultiLayerConfiguration standard = new NeuralNetConfiguration.Builder().seed(11).dataType(DataType.DOUBLE)
                .updater(new Sgd(0)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(5).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().decay(0.99).useLogStd(false).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(6))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(BnConversion.toSync(standard, 2, populationRule));
        net.init();
        Random rnd = new Random(3);
        for (int step = 0; step < 1500; step++) {
            net.fit(batch(16, rnd));
        }
        DataSet sample = batch(20000, new Random(99));
        double[] population = meanAndUnbiasedVariance(List.of(net.feedForward(sample.getFeatures(), false).get(1)))[1];
        double[] running = BnStatistics.readRunning(net.getLayer(1)).variance();
        double ratio = 0;
        for (int c = 0; c < running.length; c++) {
            ratio += running[c] / population[c] / running.length;
        }
        return ratio;
    }
}
