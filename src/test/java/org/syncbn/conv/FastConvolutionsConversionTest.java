package org.syncbn.conv;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.bn.BnConversion;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FastConvolutions} changes only the class of plain 2D convolutions: DL4J's subclasses and
 * every other layer (BatchNorm's variance parameterisation included) stay as they were, the JSON
 * round-trips, parameters and updater state stay bitwise identical both ways, and an exported
 * model holds DL4J classes only, so plain ModelSerializer loads it.
 */
class FastConvolutionsConversionTest {

    static MultiLayerConfiguration cnn() {
        return new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.DOUBLE).updater(new Adam(1e-2)).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .hasBias(false).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().useLogStd(false).build())
                .layer(new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(1).nOut(4)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(6, 6, 2))
                .build();
    }

    static ComputationGraphConfiguration residual() {
        return new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.DOUBLE).updater(new Adam(1e-2))
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(6, 6, 2))
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(2).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().useLogStd(false).build(), "c1")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn", "in")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "add")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").build();
    }

    static DataSet batch() {
        Nd4j.getRandom().setSeed(3);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 8, 3);
        for (int i = 0; i < 8; i++) {
            y.putScalar(i, i % 3, 1.0);
        }
        return new DataSet(Nd4j.randn(DataType.DOUBLE, 8, 2, 6, 6), y);
    }

    @Test
    void onlyPlainConvolutionsChangeClassAndTheJsonRoundTrips() {
        MultiLayerConfiguration fast = FastConvolutions.apply(cnn());
        assertInstanceOf(FastConvolution.class, fast.getConf(0).getLayer());
        assertSame(DepthwiseConvolution2D.class, fast.getConf(2).getLayer().getClass());
        assertFalse(((BatchNormalization) fast.getConf(1).getLayer()).isUseLogStd());
        // (whole-configuration equality after JSON fails in plain DL4J too: its reader re-derives BN's useLogStd)
        assertEquals(fast.getConf(0).getLayer(), MultiLayerConfiguration.fromJson(fast.toJson()).getConf(0).getLayer());
        MultiLayerConfiguration back = FastConvolutions.toStandard(fast);
        assertSame(ConvolutionLayer.class, back.getConf(0).getLayer().getClass());
        assertEquals(cnn().getConf(0).getLayer(), back.getConf(0).getLayer());

        ComputationGraphConfiguration g = FastConvolutions.apply(residual());
        assertInstanceOf(FastConvolution.class, ((LayerVertex) g.getVertices().get("c1")).getLayerConf().getLayer());
        assertEquals(((LayerVertex) g.getVertices().get("c1")).getLayerConf().getLayer(),
                ((LayerVertex) ComputationGraphConfiguration.fromJson(g.toJson()).getVertices().get("c1")).getLayerConf().getLayer());
        assertSame(ConvolutionLayer.class, ((LayerVertex) FastConvolutions.toStandard(g).getVertices().get("c1"))
                .getLayerConf().getLayer().getClass());
    }

    @Test
    void networksConvertBothWaysWithBitwiseTheSameParametersAndUpdaterState() {
        MultiLayerNetwork net = new MultiLayerNetwork(cnn());
        net.init();
        net.fit(batch());
        MultiLayerNetwork fast = FastConvolutions.apply(net);
        assertInstanceOf(FastConvolutionLayer.class, fast.getLayer(0));
        assertEquals(net.params(), fast.params());
        assertEquals(net.getUpdater().getStateViewArray(), fast.getUpdater().getStateViewArray());
        assertEquals(net.getIterationCount(), fast.getIterationCount());
        fast.fit(batch());
        MultiLayerNetwork back = FastConvolutions.toStandard(fast);
        assertEquals(fast.params(), back.params());
        assertEquals(fast.getUpdater().getStateViewArray(), back.getUpdater().getStateViewArray());

        ComputationGraph graph = new ComputationGraph(residual());
        graph.init();
        graph.fit(batch());
        ComputationGraph fastGraph = FastConvolutions.apply(graph);
        assertInstanceOf(FastConvolutionLayer.class, fastGraph.getLayer("c1"));
        assertEquals(graph.params(), fastGraph.params());
        assertEquals(graph.getUpdater().getStateViewArray(), fastGraph.getUpdater().getStateViewArray());
        ComputationGraph backGraph = FastConvolutions.toStandard(fastGraph);
        assertEquals(fastGraph.params(), backGraph.params());
    }

    @Test
    void anExportedModelHoldsDl4jClassesOnlyAndLoadsInPlainDl4j(@TempDir Path dir) throws Exception {
        MultiLayerNetwork fast = new MultiLayerNetwork(BnConversion.toSync(FastConvolutions.apply(cnn()), 0));
        fast.init();
        fast.fit(batch());
        MultiLayerNetwork export = FastConvolutions.toStandard(BnConversion.toStandard(fast));
        File file = dir.resolve("model.zip").toFile();
        ModelSerializer.writeModel(export, file, true);
        String json;
        try (ZipFile zip = new ZipFile(file)) {
            json = new String(zip.getInputStream(zip.getEntry("configuration.json")).readAllBytes());
        }
        assertFalse(json.contains("org.syncbn"), "the exported configuration names a project class");
        MultiLayerNetwork loaded = ModelSerializer.restoreMultiLayerNetwork(file, true);
        assertSame(org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.class, loaded.getLayer(0).getClass());
        assertEquals(fast.params(), loaded.params());
        assertEquals(fast.output(batch().getFeatures(), false), loaded.output(batch().getFeatures(), false));
        assertTrue(Files.size(file.toPath()) > 0);
    }
}
