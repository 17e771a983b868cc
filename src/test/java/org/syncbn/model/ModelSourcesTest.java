package org.syncbn.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.data.Batches;
import org.syncbn.data.Examples;
import org.syncbn.data.IdxDataSource;
import org.syncbn.testing.Snapshots;
import org.syncbn.testing.TestSpark;
import org.syncbn.train.TrainingRun;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every model source trains one short run end to end and exports a model.zip of DL4J's own classes:
 * the built-in residual graph, each offered zoo architecture (at a small image size), and the user's
 * own configuration JSON or model zip, MultiLayerNetwork and ComputationGraph. A zip is a starting
 * point: the first step's loss is the zip's own loss on that batch.
 */
class ModelSourcesTest {
    @TempDir
    Path tmp;

    private static JobSpec spec(String dataDir, String... extra) {
        List<String> sets = new ArrayList<>(List.of("data.dir=\"" + dataDir + "\"", "data.maxTrainExamples=64",
                "data.maxTestExamples=32", "train.workers=2", "train.batchPerWorker=8", "train.epochs=1",
                "train.stepsPerRound=4", "bn.mode=sync", "name=sources"));
        sets.addAll(List.of(extra));
        return JobSpecLoader.load(null, sets);
    }

    private TrainingRun.Result run(JobSpec spec, String name) {
        return TrainingRun.of(TestSpark.context(), spec).writingTo(tmp.resolve(name).toString()).run();
    }

    /** The exported model loads in plain DL4J and names no class of this project. */
    private void assertPlainDl4jModel(Path zip, boolean graph) throws Exception {
        try (ZipFile z = new ZipFile(zip.toFile())) {
            String conf = new String(z.getInputStream(z.getEntry("configuration.json")).readAllBytes());
            assertFalse(conf.contains("org.syncbn"), "the exported configuration names a project class");
        }
        if (graph) {
            ComputationGraph g = ModelSerializer.restoreComputationGraph(zip.toFile(), true);
            assertTrue(g.numParams() > 0);
        } else {
            MultiLayerNetwork n = ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), true);
            assertTrue(n.numParams() > 0);
        }
    }

    @Test
    void theBuiltInResidualGraphTrainsAndExportsAPlainComputationGraph() throws Exception {
        TrainingRun.Result r = run(spec(TestSpark.fashionMnistDir(), "model.type=resnet", "model.depth=8"), "resnet");
        assertEquals(1, r.rounds());
        assertTrue(Double.isFinite(r.lastEval().meanLoss()));
        assertTrue(r.network().dl4j() instanceof ComputationGraph);
        // depth 8: stem + 3 blocks of 2 convolutions, 2 projections: 9 BN layers, all synchronized
        assertEquals(9, r.network().syncBnLayers().size());
        assertPlainDl4jModel(tmp.resolve("resnet/model.zip"), true);
    }

    @ParameterizedTest(name = "{0} at {1}x{1}")
    @CsvSource({"lenet, 32, false", "simplecnn, 28, false", "squeezenet, 28, true", "darknet19, 28, true",
            "resnet50, 96, true"})
    void everyOfferedZooArchitectureTrainsOneShortRunAndExports(String zoo, int side, boolean graph) throws Exception {
        Path data = Snapshots.writeSynthetic(tmp.resolve("data-" + side), 8, 4, side, 3);
        // plain SGD: no updater state to send back (ResNet-50's 24M parameters with Adam would be 1 GB of results)
        TrainingRun.Result r = run(spec(data.toString(), "model.type=zoo", "model.zoo=" + zoo, "data.maxTrainExamples=8",
                "data.maxTestExamples=4", "train.batchPerWorker=2", "train.stepsPerRound=2", "optim.updater=sgd"), zoo);
        assertEquals(1, r.rounds());
        assertEquals(graph, r.network().dl4j() instanceof ComputationGraph);
        assertPlainDl4jModel(tmp.resolve(zoo + "/model.zip"), graph);
    }

    static MultiLayerConfiguration userMlp() {
        return new NeuralNetConfiguration.Builder().seed(3).updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(784)).build();
    }

    /** A graph that takes [N, 1, 28, 28] images (no flattening preprocessor): the run finds the layout. */
    static ComputationGraphConfiguration userGraph() {
        return new NeuralNetConfiguration.Builder().seed(3).updater(new Adam(1e-3)).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(28, 28, 1))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(4)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().build(), "conv")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "bn")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").build();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"mlp-json", "graph-json", "mlp-zip", "graph-zip"})
    void aUsersOwnConfigurationOrZipTrainsAndExports(String kind) throws Exception {
        Path file = tmp.resolve(kind + (kind.endsWith("zip") ? ".zip" : ".json"));
        boolean graph = kind.startsWith("graph");
        if (kind.endsWith("json")) {
            Files.writeString(file, graph ? userGraph().toJson() : userMlp().toJson());
        } else if (graph) {
            ComputationGraph g = new ComputationGraph(userGraph());
            g.init();
            ModelSerializer.writeModel(g, file.toFile(), true);
        } else {
            MultiLayerNetwork n = new MultiLayerNetwork(userMlp());
            n.init();
            ModelSerializer.writeModel(n, file.toFile(), true);
        }
        TrainingRun.Result r = run(spec(TestSpark.fashionMnistDir(), "model.type=file", "model.file=\"" + file + "\""),
                kind);
        assertEquals(graph, r.network().dl4j() instanceof ComputationGraph);
        assertEquals(1, r.network().syncBnLayers().size(), "the file's BatchNormalization trains with bn.mode = sync");
        assertPlainDl4jModel(tmp.resolve(kind + "/model.zip"), graph);
    }

    @Test
    void fineTuningFromAZipStartsFromItsParameters() throws Exception {
        ComputationGraph saved = new ComputationGraph(userGraph());
        saved.init();
        Path zip = tmp.resolve("pretrained.zip");
        ModelSerializer.writeModel(saved, zip.toFile(), false);
        JobSpec spec = spec(TestSpark.fashionMnistDir(), "model.type=file", "model.file=\"" + zip + "\"",
                "train.workers=1", "train.batchPerWorker=16", "train.stepsPerRound=1", "data.shuffle=false",
                "dtype=float");
        double[] firstLoss = {Double.NaN};
        TrainingRun.of(TestSpark.context(), spec).writingTo(tmp.resolve("tuned").toString())
                .afterEachRound((report, state) -> {
                    if (report.round() == 0) {
                        firstLoss[0] = report.meanLoss();
                    }
                }).run();
        // the same first batch (no shuffle: file order), scored by the zip's own network in training mode
        Examples train = new IdxDataSource(spec.data()).train();
        int[] first = java.util.stream.IntStream.range(0, 16).toArray();
        DataSet batch = Batches.of(train, first, DataType.FLOAT);
        double zipLoss = saved.score(new DataSet(batch.getFeatures().reshape(16, 1, 28, 28), batch.getLabels()), true);
        assertEquals(zipLoss, firstLoss[0], 1e-6 * Math.abs(zipLoss));
    }
}
