package org.syncbn.train;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.bn.BnConversion;
import org.syncbn.bn.StatisticsExchange;
import org.syncbn.bn.SyncBatchNormalizationLayer;
import org.syncbn.collective.Collective;
import org.syncbn.collective.InProcessCollective;
import org.syncbn.network.Network;
import org.syncbn.network.ParamLayout;
import org.syncbn.worker.StateMerge;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exactness oracle on a ComputationGraph with a residual block (docs/ARCHITECTURE.md, "SyncBN
 * math"): BN in the stem, in both convolutions of the residual branch, after the element-wise add and
 * after a dense layer. W SyncBN workers with unequal batches (one empty), plain SGD and the driver's
 * merge after every step equal ONE graph with DL4J's own BatchNormalization on the concatenated batch,
 * in double: every vertex's output, the input gradient, the parameter gradients, and parameters and
 * running statistics after each of 6 steps, to 1e-9.
 */
class GraphSyncBnExactnessTest {
    private static final double TOL = 1e-9;
    private static final String[] BN_VERTICES = {"stem_bn", "b_bn1", "b_bn2", "add_bn", "dense_bn"};

    static Stream<Arguments> cases() {
        return Stream.of(Arguments.of((Object) new int[] {3, 5}), Arguments.of((Object) new int[] {2, 4, 0}),
                Arguments.of((Object) new int[] {1, 3, 2}));
    }

    static ComputationGraphConfiguration residualGraph() {
        return new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.DOUBLE).updater(new Sgd(0.1))
                .weightInit(WeightInit.XAVIER).convolutionMode(ConvolutionMode.Same)
                .trainingWorkspaceMode(WorkspaceMode.NONE).inferenceWorkspaceMode(WorkspaceMode.NONE)
                .graphBuilder()
                .addInputs("input").setInputTypes(InputType.convolutional(5, 5, 2))
                .addLayer("stem_conv", new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.IDENTITY).build(),
                        "input")
                .addLayer("stem_bn", new BatchNormalization.Builder().decay(0.8).build(), "stem_conv")
                .addLayer("stem_act", new ActivationLayer.Builder().activation(Activation.TANH).build(), "stem_bn")
                .addLayer("b_conv1", new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.IDENTITY).build(),
                        "stem_act")
                .addLayer("b_bn1", new BatchNormalization.Builder().decay(0.7).useLogStd(false).build(), "b_conv1")
                .addLayer("b_act", new ActivationLayer.Builder().activation(Activation.TANH).build(), "b_bn1")
                .addLayer("b_conv2", new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.IDENTITY).build(),
                        "b_act")
                .addLayer("b_bn2", new BatchNormalization.Builder().eps(1e-3).build(), "b_conv2")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "b_bn2", "stem_act")
                .addLayer("add_bn", new BatchNormalization.Builder().decay(0.6).build(), "add")
                .addLayer("add_act", new ActivationLayer.Builder().activation(Activation.TANH).build(), "add_bn")
                .addLayer("dense", new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build(), "add_act")
                .addLayer("dense_bn", new BatchNormalization.Builder().build(), "dense")
                .addLayer("dense_act", new ActivationLayer.Builder().activation(Activation.SIGMOID).build(), "dense_bn")
                .addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "dense_act")
                .setOutputs("output")
                .build();
    }

    private static DataSet batch(int n, Random rnd) {
        double[] f = new double[n * 2 * 5 * 5];
        for (int i = 0; i < f.length; i++) {
            f[i] = rnd.nextGaussian() * 2 + 0.5;
        }
        double[] l = new double[n * 3];
        for (int i = 0; i < n; i++) {
            l[i * 3 + rnd.nextInt(3)] = 1;
        }
        return new DataSet(Nd4j.create(f, new long[] {n, 2, 5, 5}, DataType.DOUBLE),
                Nd4j.create(l, new long[] {n, 3}, DataType.DOUBLE));
    }

    @ParameterizedTest(name = "W={0}")
    @MethodSource("cases")
    void syncBnGraphWorkersEqualOneGraphOnTheConcatenatedBatch(int[] batches) throws Exception {
        int w = batches.length;
        ComputationGraphConfiguration refConf = residualGraph();
        ComputationGraph ref = new ComputationGraph(refConf);
        ref.init();
        ComputationGraphConfiguration syncConf = BnConversion.toSync(refConf, 0);
        List<Collective> coll = InProcessCollective.create(w, Duration.ofSeconds(30));
        List<ComputationGraph> workers = new ArrayList<>();
        for (int k = 0; k < w; k++) {
            ComputationGraph g = new ComputationGraph(syncConf.clone());
            g.init(ref.params().dup(), true);
            List<SyncBatchNormalizationLayer> layers = Network.of(g).syncBnLayers();
            assertEquals(BN_VERTICES.length, layers.size(), "every BN vertex is synchronized");
            for (SyncBatchNormalizationLayer l : layers) {
                l.setCollective(coll.get(k));
            }
            workers.add(g);
        }
        ParamLayout layout = ParamLayout.of(Network.of(ref));
        assertEquals(BN_VERTICES.length, layout.bnStats().size());
        
        Random rnd = new Random(13);
        ExecutorService pool = Executors.newFixedThreadPool(w);
        try {
            for (int step = 0; step < 6; step++) {
                List<DataSet> parts = new ArrayList<>();
                for (int b : batches) {
                    parts.add(b == 0 ? null : batch(b, rnd));
                }
                DataSet all = DataSet.merge(parts.stream().filter(p -> p != null).toList());
                if (step == 0) {
                    compareForwardAndGradients(ref, workers, parts, all, coll, layout, pool);
                }
                ref.fit(all);
                List<StateMerge.Local> results = onAll(pool, w, k -> {
                    Network n = Network.of(workers.get(k));
                    if (parts.get(k) == null) {
                        StatisticsExchange.sitOutStep(n.syncBnLayers(), coll.get(k));
                    } else {
                        workers.get(k).fit(parts.get(k));
                    }
                    return new StateMerge.Local(n.params(), new double[0],
                            parts.get(k) == null ? 0 : parts.get(k).numExamples());
                });
                double[] merged = StateMerge.of(results, layout).params();
                for (ComputationGraph g : workers) {
                    Network.of(g).setParams(merged);
                }
                assertClose(ref.params().toDoubleVector(), merged, "parameters and running statistics after step "
                        + (step + 1));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void compareForwardAndGradients(ComputationGraph ref, List<ComputationGraph> workers,
                                                   List<DataSet> parts, DataSet all, List<Collective> coll,
                                                   ParamLayout layout, ExecutorService pool) throws Exception {
        int w = workers.size();
        Map<String, INDArray> refActs = ref.feedForward(all.getFeatures(), true);
        List<Map<String, INDArray>> acts = onAll(pool, w, k -> {
            if (parts.get(k) == null) {
                StatisticsExchange.sitOutForward(Network.of(workers.get(k)).syncBnLayers(), coll.get(k));
                return null;
            }
            return workers.get(k).feedForward(parts.get(k).getFeatures(), true);
        });
        Gradients refGrad = gradients(ref, all);
        List<Gradients> grads = onAll(pool, w, k -> {
            if (parts.get(k) == null) {
                StatisticsExchange.sitOutStep(Network.of(workers.get(k)).syncBnLayers(), coll.get(k));
                return null;
            }
            return gradients(workers.get(k), parts.get(k));
        });
        double[] sum = new double[refGrad.params().length];
        long row = 0;
        for (int k = 0; k < w; k++) {
            if (parts.get(k) == null) {
                continue;
            }
            long n = parts.get(k).numExamples();
            for (Map.Entry<String, INDArray> e : refActs.entrySet()) {
                assertClose(flat(e.getValue().get(NDArrayIndex.interval(row, row + n))), flat(acts.get(k).get(e.getKey())),
                        "worker " + k + " output of vertex " + e.getKey());
            }
            assertClose(flat(refGrad.input().get(NDArrayIndex.interval(row, row + n))), flat(grads.get(k).input()),
                    "worker " + k + " input gradient");
            double[] g = grads.get(k).params();
            for (int i = 0; i < g.length; i++) {
                if (isRunningStat(layout, i)) {
                    assertEquals(refGrad.params()[i], g[i], TOL, "worker " + k + " running-statistics update " + i);
                } else {
                    sum[i] += g[i];
                }
            }
            row += n;
        }
        for (int i = 0; i < sum.length; i++) {
            if (!isRunningStat(layout, i)) {
                assertEquals(refGrad.params()[i], sum[i], TOL, "summed parameter gradient " + i);
            }
        }
    }

    /** The flat parameter gradient (sums over the batch) and the gradient with respect to the input. */
    private record Gradients(double[] params, INDArray input) {}

    private static Gradients gradients(ComputationGraph g, DataSet d) {
        INDArray[] input = new INDArray[1];
        // the graph clears its vertices after the backward pass: read the input's epsilon while it is there
        g.setListeners(new org.deeplearning4j.optimize.api.BaseTrainingListener() {
            @Override
            public void onBackwardPass(org.deeplearning4j.nn.api.Model model) {
                input[0] = ((ComputationGraph) model).getVertex("input").getEpsilon().dup();
            }
        });
        g.setInputs(d.getFeatures());
        g.setLabels(d.getLabels());
        g.computeGradientAndScore();
        g.setListeners();
        return new Gradients(g.gradient().gradient().toDoubleVector(), input[0]);
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

    private static <T> List<T> onAll(ExecutorService pool, int w, IntFunction<T> body) throws Exception {
        List<Future<T>> futures = new ArrayList<>();
        for (int k = 0; k < w; k++) {
            int rank = k;
            futures.add(pool.submit(() -> body.apply(rank)));
        }
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) {
            out.add(f.get());
        }
        return out;
    }

    private static double[] flat(INDArray a) {
        return a.dup('c').data().asDouble();
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max <= TOL, what + ": max abs difference " + max);
    }
}
