package org.syncbn.network;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.config.SpecException;
import org.syncbn.testing.CraftedZips;
import org.syncbn.testing.Gadget;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model zips go through the allow-list before DL4J sees them, and DL4J deserialises nothing ({@link ModelZip}). */
class ModelZipTest {
    @TempDir
    Path tmp;

    private static MultiLayerNetwork trainedMlp() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).updater(new Adam(1e-2)).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(6).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().nOut(6).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.fit(new DataSet(Nd4j.rand(8, 4), Nd4j.eye(3).getRows(0, 1, 2, 0, 1, 2, 0, 1)));
        return net;
    }

    private Path mlpZip() throws Exception {
        File zip = tmp.resolve("model.zip").toFile();
        ModelSerializer.writeModel(trainedMlp(), zip, true);
        return zip.toPath();
    }

    @Test
    void aPlainModelZipLoadsWithBitwiseTheParametersAndUpdaterStateDl4jWrote() throws Exception {
        Path zip = mlpZip();
        MultiLayerNetwork dl4j = ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), true);
        Network ours = Network.read(zip.toFile(), true);
        assertArrayEquals(dl4j.params().toDoubleVector(), ours.params());
        assertArrayEquals(dl4j.getUpdater().getStateViewArray().toDoubleVector(), ours.updaterState());
        assertEquals(dl4j.getLayerWiseConfigurations().toJson(), ours.configurationJson());
    }

    @Test
    void dl4jAloneRunsAGadgetHiddenInPreprocessorBin() throws Exception {
        // the hole this guards: without ModelZip, loading a model runs code the file chose
        Path crafted = CraftedZips.withEntries(mlpZip(), tmp.resolve("crafted.zip"),
                Map.of("preprocessor.bin", Gadget.serialized(new Gadget("dl4j"))));
        int before = Gadget.RUNS.get();
        try {
            ModelSerializer.restoreMultiLayerNetwork(crafted.toFile(), false);
        } catch (RuntimeException expected) {
            // DL4J casts the object to DataSetPreProcessor after deserialising it: too late
        }
        assertTrue(Gadget.RUNS.get() > before, "DL4J did not deserialise preprocessor.bin: this test proves nothing");
    }

    @Test
    void aGadgetInAnyEntryIsRefusedNamingTheEntryAndTheClassAndNoneOfItsCodeRuns() throws Exception {
        Path plain = mlpZip();
        byte[] gadget = Gadget.serialized(new Gadget("model"));
        for (String entry : new String[] {"preprocessor.bin", "normalizer.bin", "objects/syncbn-loop-state", "extra/anything"}) {
            Path crafted = CraftedZips.withEntries(plain, tmp.resolve("crafted-" + entry.replace('/', '_') + ".zip"),
                    Map.of(entry, gadget));
            int before = Gadget.RUNS.get();
            SpecException e = assertThrows(SpecException.class, () -> Network.read(crafted.toFile(), true), entry);
            assertTrue(e.getMessage().startsWith("entry " + entry + " holds class " + Gadget.class.getName()
                    + ", which a model zip may not carry (allowed: "), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
            assertEquals(before, Gadget.RUNS.get(), entry + ": the gadget's code ran");
        }
    }

    @Test
    void aComputationGraphZipIsGuardedTheSameWay() throws Exception {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).graphBuilder().addInputs("in")
                .addLayer("d", new DenseLayer.Builder().nIn(4).nOut(5).build(), "in")
                .addLayer("out", new OutputLayer.Builder().nIn(5).nOut(2).activation(Activation.SOFTMAX).build(), "d")
                .setOutputs("out").build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        File zip = tmp.resolve("graph.zip").toFile();
        ModelSerializer.writeModel(graph, zip, false);
        assertArrayEquals(graph.params().toDoubleVector(), Network.read(zip, false).params());

        Path crafted = CraftedZips.withEntries(zip.toPath(), tmp.resolve("graph-crafted.zip"),
                Map.of("preprocessor.bin", Gadget.serialized(new Gadget("graph"))));
        int before = Gadget.RUNS.get();
        SpecException e = assertThrows(SpecException.class, () -> Network.read(crafted.toFile(), false));
        assertTrue(e.getMessage().contains("holds class " + Gadget.class.getName()), e.getMessage());
        assertEquals(before, Gadget.RUNS.get());
    }

    @Test
    void anAllowedStoredObjectReadsBackAndPassesTheLimits() throws Exception {
        Path plain = mlpZip();
        ModelSerializer.addObjectToFile(plain.toFile(), "note", "{\"state\": 1}");
        assertEquals("{\"state\": 1}", Network.storedObject(plain.toFile(), "note"));

        Path huge = CraftedZips.withEntries(plain, tmp.resolve("huge.zip"),
                Map.of("objects/big", Gadget.serialized(new String[2_000_000])));
        SpecException e = assertThrows(SpecException.class, () -> Network.read(huge.toFile(), false));
        assertTrue(e.getMessage().startsWith("entry objects/big holds an array of 2000000 elements, more than"),
                e.getMessage());
        Path json = CraftedZips.withEntries(plain, tmp.resolve("json.zip"),
                Map.of("preprocessor.bin", "not serialised".getBytes(StandardCharsets.UTF_8)));
        assertArrayEquals(Network.read(plain.toFile(), false).params(), Network.read(json.toFile(), false).params());
    }
}
