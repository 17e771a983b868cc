package org.syncbn.bn;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SyncBatchNormalization layer survives JSON (MultiLayer and ComputationGraph configurations,
 * ghostBatchSize included), trains inside a ComputationGraph, and {@link BnConversion} changes
 * only the layer class: parameters and updater state stay bitwise identical both ways.
 */
class BnConversionAndJsonTest {

    static MultiLayerConfiguration standard(boolean useLogStd) {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE)
                .updater(new Adam(0.01)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(5).nOut(4).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().decay(0.75).eps(1e-4).useLogStd(useLogStd).build())
                .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nOut(3).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().decay(0.6).useLogStd(useLogStd).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(5))
                .build();
    }

    static DataSet data(int n, int nIn, int nOut, long seed) {
        Random rnd = new Random(seed);
        double[] f = new double[n * nIn];
        for (int i = 0; i < f.length; i++) {
            f[i] = rnd.nextGaussian() * 1.5 + 0.3;
        }
        double[] l = new double[n * nOut];
        for (int i = 0; i < n; i++) {
            l[i * nOut + rnd.nextInt(nOut)] = 1;
        }
        return new DataSet(Nd4j.create(f, new long[] {n, nIn}, DataType.DOUBLE),
                Nd4j.create(l, new long[] {n, nOut}, DataType.DOUBLE));
    }

    @Test
    void multiLayerConfigurationJsonRoundTripKeepsSyncLayerClassAndGhostBatchSize() {
        // an initialised network's configuration: DL4J's deserializer derives useLogStd from the
        // parameter names ("variables") that init records (see the fresh-configuration test below)
        MultiLayerNetwork standardNet = new MultiLayerNetwork(standard(false));
        standardNet.init();
        MultiLayerConfiguration sync = BnConversion.toSync(standardNet, 5).getLayerWiseConfigurations();
        String json = sync.toJson();
        assertTrue(json.contains(SyncBatchNormalization.class.getName()), json);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        for (int i : new int[] {1, 4}) {
            SyncBatchNormalization bn = assertInstanceOfSync(back.getConf(i).getLayer());
            BatchNormalization orig = (BatchNormalization) standard(false).getConf(i).getLayer();
            assertEquals(5, bn.getGhostBatchSize(), "ghostBatchSize of layer " + i);
            assertEquals(orig.getDecay(), bn.getDecay(), 0.0, "decay");
            assertEquals(orig.getEps(), bn.getEps(), 0.0, "eps");
            assertFalse(bn.isUseLogStd(), "useLogStd(false) survives the SyncBN default of true");
            assertEquals(orig.getNOut(), bn.getNOut(), "nOut");
        }
        assertEquals(sync, back);
        assertEquals(json, back.toJson());

        MultiLayerNetwork net = new MultiLayerNetwork(back);
        net.init();
        assertTrue(net.getLayer(1) instanceof SyncBatchNormalizationLayer);
        assertTrue(net.getLayer(4) instanceof SyncBatchNormalizationLayer);
    }

    /**
     * {@code BnConversion.toSync(conf, g)} on a configuration that no network has initialised yet
     * (as NetworkFactory does) must keep {@code useLogStd(false)}: the running variance stays a
     * variance, as in local mode. (DL4J's JSON deserializer resets useLogStd from the recorded
     * parameter names, which a fresh configuration does not have.)
     */
    @Test
    void conversionOfAFreshConfigurationKeepsTheVarianceParameterisation() {
        MultiLayerConfiguration sync = BnConversion.toSync(standard(false), 0);
        for (int i : new int[] {1, 4}) {
            assertFalse(((BatchNormalization) sync.getConf(i).getLayer()).isUseLogStd(),
                    "layer " + i + ": useLogStd(false) lost by toSync");
        }
        MultiLayerNetwork net = new MultiLayerNetwork(sync);
        net.init();
        assertTrue(net.paramTable().containsKey("1_var"), "running variance parameter: " + net.paramTable().keySet());

        MultiLayerConfiguration std = BnConversion.toStandard(BnConversion.toSync(standard(false), 0));
        assertFalse(((BatchNormalization) std.getConf(1).getLayer()).isUseLogStd(), "useLogStd(false) lost by toStandard");
    }

    /**
     * equals must be symmetric: a standard BN conf is never equal to a synchronized one (else a
     * standard configuration compares equal to its SyncBN conversion, ghostBatchSize ignored).
     */
    @Test
    void standardAndSyncLayerConfigurationsAreNeverEqualInEitherDirection() {
        BatchNormalization std = new BatchNormalization();
        SyncBatchNormalization sync = new SyncBatchNormalization();
        sync.setGhostBatchSize(4);
        assertFalse(sync.equals(std), "sync.equals(std)");
        assertFalse(std.equals(sync), "std.equals(sync)");
        MultiLayerConfiguration stdConf = standard(true);
        MultiLayerConfiguration syncConf = BnConversion.toSync(standard(true), 4);
        assertFalse(syncConf.equals(stdConf), "sync configuration equals the standard one");
        assertFalse(stdConf.equals(syncConf), "standard configuration equals its SyncBN conversion");
    }

    /** A graph holding a SyncBatchNormalization built directly (not through BnConversion). */
    static ComputationGraphConfiguration graph(int ghost) {
        SyncBatchNormalization bn = new SyncBatchNormalization();
        bn.setGhostBatchSize(ghost);
        bn.setDecay(0.7);
        bn.setEps(1e-4);
        return new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.DOUBLE)
                .updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(5))
                .addLayer("dense", new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn", bn, "dense")
                .addLayer("act", new ActivationLayer.Builder().activation(Activation.TANH).build(), "bn")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "act")
                .setOutputs("out")
                .build();
    }

    @Test
    void computationGraphConfigurationJsonRoundTripKeepsSyncLayerClassAndGhostBatchSize() {
        ComputationGraphConfiguration conf = graph(3);
        String json = conf.toJson();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        SyncBatchNormalization bn = assertInstanceOfSync(
                ((LayerVertex) back.getVertices().get("bn")).getLayerConf().getLayer());
        assertEquals(3, bn.getGhostBatchSize());
        assertEquals(0.7, bn.getDecay(), 0.0);
        assertEquals(1e-4, bn.getEps(), 0.0);
        assertEquals(4, bn.getNOut());
        assertEquals(conf, back);
        assertEquals(json, back.toJson());

        // and BnConversion on a graph: to standard (no project class left) and back to sync with a new ghost size
        ComputationGraphConfiguration std = BnConversion.toStandard(back);
        assertFalse(std.toJson().contains("org.syncbn"), std.toJson());
        ComputationGraphConfiguration resync = BnConversion.toSync(std, 4);
        assertEquals(4, assertInstanceOfSync(
                ((LayerVertex) resync.getVertices().get("bn")).getLayerConf().getLayer()).getGhostBatchSize());
    }

    @Test
    void computationGraphWithSyncLayerTrainsAStepLikeTheStandardGraph() {
        DataSet ds = data(7, 5, 2, 17);
        // ghost 3 on a batch of 7: virtual batches 3, 3, 1 inside the graph
        ComputationGraph ghost = new ComputationGraph(ComputationGraphConfiguration.fromJson(graph(3).toJson()));
        ghost.init();
        assertTrue(ghost.getLayer("bn") instanceof SyncBatchNormalizationLayer);
        INDArray before = ghost.params().dup();
        INDArray meanBefore = ghost.getLayer("bn").getParam("mean").dup();
        ghost.fit(ds);
        assertTrue(Double.isFinite(ghost.score()), "score " + ghost.score());
        assertNotEquals(before, ghost.params(), "parameters moved");
        assertNotEquals(meanBefore, ghost.getLayer("bn").getParam("mean"), "running mean updated");
        for (double v : ghost.params().toDoubleVector()) {
            assertTrue(Double.isFinite(v), "finite parameters");
        }

        // whole-batch SyncBN (W=1) in a graph takes exactly DL4J's step
        ComputationGraph sync = new ComputationGraph(graph(0));
        sync.init();
        ComputationGraph ref = new ComputationGraph(BnConversion.toStandard(graph(0)));
        ref.init(sync.params().dup(), false);
        assertFalse(ref.getLayer("bn") instanceof SyncBatchNormalizationLayer);
        for (int step = 0; step < 2; step++) {
            sync.fit(ds);
            ref.fit(ds);
        }
        SyncBnExactnessTest.assertClose(ref.params().toDoubleVector(), sync.params().toDoubleVector(),
                "graph parameters after 2 steps");
    }

    @ParameterizedTest(name = "useLogStd={0}")
    @ValueSource(booleans = {true, false})
    void conversionBothWaysKeepsParametersAndUpdaterStateBitwise(boolean useLogStd) {
        MultiLayerNetwork std = new MultiLayerNetwork(standard(useLogStd));
        std.init();
        for (int step = 0; step < 3; step++) {
            std.fit(data(6, 5, 2, 100 + step));
        }
        INDArray state = std.getUpdater(false).getStateViewArray();
        assertTrue(state.amaxNumber().doubleValue() > 0, "Adam state is non-trivial");

        MultiLayerNetwork sync = BnConversion.toSync(std, 0);
        assertTrue(sync.getLayer(1) instanceof SyncBatchNormalizationLayer);
        assertTrue(sync.getLayer(4) instanceof SyncBatchNormalizationLayer);
        assertEquals(useLogStd, ((BatchNormalization) sync.getLayer(1).conf().getLayer()).isUseLogStd());
        assertBitwise(std.params(), sync.params(), "params std -> sync");
        assertBitwise(state, sync.getUpdater(false).getStateViewArray(), "updater state std -> sync");
        assertEquals(std.getIterationCount(), sync.getIterationCount());
        assertEquals(std.getEpochCount(), sync.getEpochCount());
        assertEquals(std.paramTable().keySet(), sync.paramTable().keySet());

        MultiLayerNetwork back = BnConversion.toStandard(sync);
        for (Layer l : back.getLayers()) {
            assertFalse(l instanceof SyncBatchNormalizationLayer, "standard layer " + l.getIndex());
        }
        assertSame(org.deeplearning4j.nn.layers.normalization.BatchNormalization.class, back.getLayer(1).getClass());
        assertBitwise(std.params(), back.params(), "params sync -> std");
        assertBitwise(state, back.getUpdater(false).getStateViewArray(), "updater state sync -> std");
        String json = back.getLayerWiseConfigurations().toJson();
        assertFalse(json.contains("org.syncbn"), json);
        assertFalse(json.contains("ghostBatchSize"), json);
        assertEquals(std.getLayerWiseConfigurations().toJson(), json, "standard -> sync -> standard is the identity");

        // the carried-over Adam state is really used: the next step agrees with the standard network
        DataSet next = data(6, 5, 2, 999);
        std.fit(next);
        sync.fit(next);
        back.fit(next);
        assertBitwise(std.params(), back.params(), "standard network after one more step");
        SyncBnExactnessTest.assertClose(std.params().toDoubleVector(), sync.params().toDoubleVector(),
                "synchronized network (W=1) after one more step");
    }

    private static SyncBatchNormalization assertInstanceOfSync(Object layer) {
        assertTrue(layer instanceof SyncBatchNormalization, "expected SyncBatchNormalization, got " + layer);
        return (SyncBatchNormalization) layer;
    }

    static void assertBitwise(INDArray expected, INDArray actual, String what) {
        double[] e = expected.dup('c').reshape(expected.length()).toDoubleVector();
        double[] a = actual.dup('c').reshape(actual.length()).toDoubleVector();
        assertEquals(e.length, a.length, what + ": length");
        for (int i = 0; i < e.length; i++) {
            if (Double.doubleToRawLongBits(e[i]) != Double.doubleToRawLongBits(a[i])) {
                throw new AssertionError(what + ": element " + i + " differs: " + e[i] + " vs " + a[i]);
            }
        }
    }
}
