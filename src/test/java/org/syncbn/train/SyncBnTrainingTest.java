package org.syncbn.train;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.cli.Main;
import org.syncbn.testing.TestSpark;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SyncBN through the whole product: the CLI trains on embedded Spark with TCP collectives inside
 * barrier stages; with unshuffled data, plain SGD and a merge after every step, W workers of b
 * examples end exactly where one worker of W·b examples does.
 */
class SyncBnTrainingTest {
    @TempDir
    Path tmp;

    /**
     * A user's residual graph written by plain DL4J (its own BatchNormalization layers, [N, 1, 28, 28]
     * inputs): SyncBN at W = 2 x 32 through the CLI equals DL4J's BN at W = 1 x 64.
     */
    @Test
    void aUsersComputationGraphFromAJsonFileTrainsExactlyThroughTheCli() throws Exception {
        org.deeplearning4j.nn.conf.ComputationGraphConfiguration conf =
                new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(9)
                        .convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Same).graphBuilder()
                        .addInputs("in").setInputTypes(org.deeplearning4j.nn.conf.inputs.InputType.convolutional(28, 28, 1))
                        .addLayer("stem", conv(4, 2), "in")
                        .addLayer("stem_bn", new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build(), "stem")
                        .addLayer("c1", conv(4, 1), "stem_bn")
                        .addLayer("c1_bn", new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build(), "c1")
                        .addVertex("add", new org.deeplearning4j.nn.conf.graph.ElementWiseVertex(
                                org.deeplearning4j.nn.conf.graph.ElementWiseVertex.Op.Add), "c1_bn", "stem_bn")
                        .addLayer("add_bn", new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build(), "add")
                        .addLayer("pool", new org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer.Builder(
                                org.deeplearning4j.nn.conf.layers.PoolingType.AVG).build(), "add_bn")
                        .addLayer("dense", new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nOut(8)
                                .activation(org.nd4j.linalg.activations.Activation.TANH).build(), "pool")
                        .addLayer("dense_bn", new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build(), "dense")
                        .addLayer("out", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
                                org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MCXENT).nOut(10)
                                .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build(), "dense_bn")
                        .setOutputs("out").build();
        Path json = tmp.resolve("graph.json");
        java.nio.file.Files.writeString(json, conf.toJson());
        String[] file = {"model.type=file", "model.file=\"" + json + "\"", "data.maxTrainExamples=256"};
        double[] one = graphParams(run("g1", concat(file, "bn.mode=local", "train.workers=1", "train.batchPerWorker=64")));
        double[] two = graphParams(run("g2", concat(file, "bn.mode=sync", "train.workers=2", "train.batchPerWorker=32")));
        assertTrue(maxAbsDiff(one, two) <= 1e-9, "graph: sync W=2x32 vs DL4J's BN at W=1x64: " + maxAbsDiff(one, two));
        double[] local = graphParams(run("g3", concat(file, "bn.mode=local", "train.workers=2", "train.batchPerWorker=32")));
        assertTrue(maxAbsDiff(one, local) > 1e-4, "local BN should differ: " + maxAbsDiff(one, local));
    }

    private static org.deeplearning4j.nn.conf.layers.ConvolutionLayer conv(int channels, int stride) {
        return new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).stride(stride, stride).nOut(channels)
                .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build();
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private double[] graphParams(Path out) throws Exception {
        return ModelSerializer.restoreComputationGraph(out.resolve("model.zip").toFile(), false).params().toDoubleVector();
    }

    private double[] train(String name, String... sets) throws Exception {
        return ModelSerializer.restoreMultiLayerNetwork(run(name, sets).resolve("model.zip").toFile(), false)
                .params().toDoubleVector();
    }

    private Path run(String name, String... sets) throws Exception {
        TestSpark.context();
        Path out = tmp.resolve(name);
        List<String> argv = new ArrayList<>(List.of("train",
                Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf").toString(),
                "--out", out.toString(),
                "--set", "data.dir=\"" + TestSpark.fashionMnistDir() + "\"",
                "--set", "data.maxTrainExamples=640", "--set", "data.maxTestExamples=200",
                "--set", "data.shuffle=false", "--set", "optim.updater=sgd", "--set", "optim.lr=0.1",
                "--set", "train.stepsPerRound=1", "--set", "dtype=double", "--set", "train.epochs=1",
                "--set", "model.hidden=[32,16]"));
        for (String s : sets) {
            argv.add("--set");
            argv.add(s);
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(argv.toArray(String[]::new), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        return out;
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void gradientSyncThroughTheCliIsTheGlobalBatchsAdamStepForEveryK() throws Exception {
        String[] adam = {"optim.updater=adam", "optim.lr=0.01", "train.stepsPerRound=4"};
        double[] one = train("a1", concat(adam, "bn.mode=sync", "train.workers=1", "train.batchPerWorker=64"));
        double[] two = train("a2", concat(adam, "bn.mode=sync", "train.sync=gradients", "train.workers=2",
                "train.batchPerWorker=32"));
        assertTrue(maxAbsDiff(one, two) <= 1e-9, "gradients W=2x32 vs W=1x64: " + maxAbsDiff(one, two));
        double[] avg = train("a3", concat(adam, "bn.mode=sync", "train.workers=2", "train.batchPerWorker=32"));
        assertTrue(maxAbsDiff(one, avg) > 1e-6, "averaging Adam every 4 steps is not the same: " + maxAbsDiff(one, avg));
    }

    @Test
    void syncBnWithTwoWorkersOf32EqualsOneWorkerOf64AndLocalBnDoesNot() throws Exception {
        double[] one = train("w1", "bn.mode=sync", "train.workers=1", "train.batchPerWorker=64");
        double[] two = train("w2", "bn.mode=sync", "train.workers=2", "train.batchPerWorker=32");
        assertTrue(maxAbsDiff(one, two) <= 1e-9, "sync W=2x32 vs W=1x64: " + maxAbsDiff(one, two));

        double[] localOne = train("l1", "bn.mode=local", "train.workers=1", "train.batchPerWorker=64");
        double[] localTwo = train("l2", "bn.mode=local", "train.workers=2", "train.batchPerWorker=32");
        assertTrue(maxAbsDiff(localOne, localTwo) > 1e-4, "local BN should differ: " + maxAbsDiff(localOne, localTwo));
        assertTrue(maxAbsDiff(one, localOne) <= 1e-9, "one worker: SyncBN equals DL4J's BN: " + maxAbsDiff(one, localOne));
    }

    @Test
    void unevenShardsAndAnEmptyWorkerInTheLastStepStayExactOverThreeWorkers() throws Exception {
        // 250 examples, global batch 3x30 = 90: the last step has 70 examples, 24/23/23 per worker;
        // with 650 examples and 4 x 20: the last step gives 10 to two workers and none to two others.
        double[] one = train("u1", "bn.mode=sync", "train.workers=1", "train.batchPerWorker=90",
                "data.maxTrainExamples=250");
        double[] three = train("u3", "bn.mode=sync", "train.workers=3", "train.batchPerWorker=30",
                "data.maxTrainExamples=250");
        assertTrue(maxAbsDiff(one, three) <= 1e-9, "sync W=3 vs W=1: " + maxAbsDiff(one, three));
        double[] oneB = train("e1", "bn.mode=sync", "train.workers=1", "train.batchPerWorker=80",
                "data.maxTrainExamples=650");
        double[] four = train("e4", "bn.mode=sync", "train.workers=4", "train.batchPerWorker=20",
                "data.maxTrainExamples=650");
        assertTrue(maxAbsDiff(oneB, four) <= 1e-9, "sync W=4 with empty workers vs W=1: " + maxAbsDiff(oneB, four));
    }

    @Test
    void varianceParameterisationOfRunningStatisticsIsKeptThroughSyncTraining() throws Exception {
        double[] one = train("v1", "bn.mode=sync", "bn.useLogStd=false", "train.workers=1",
                "train.batchPerWorker=64", "data.maxTrainExamples=256");
        double[] two = train("v2", "bn.mode=sync", "bn.useLogStd=false", "train.workers=2",
                "train.batchPerWorker=32", "data.maxTrainExamples=256");
        assertTrue(maxAbsDiff(one, two) <= 1e-9, "sync W=2 vs W=1 with variance parameters: " + maxAbsDiff(one, two));
        MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(tmp.resolve("v2/model.zip").toFile(), false);
        assertTrue(net.getLayer(1).paramTable().containsKey("var"), net.getLayer(1).paramTable().keySet().toString());
    }

    @Test
    void barrierAllGatherRendezvousGivesTheSameResultAsTheDriverRendezvous() throws Exception {
        double[] driver = train("rd", "bn.mode=sync", "train.workers=2", "train.batchPerWorker=32",
                "data.maxTrainExamples=192", "collective.rendezvous=driver");
        double[] barrier = train("rb", "bn.mode=sync", "train.workers=2", "train.batchPerWorker=32",
                "data.maxTrainExamples=192", "collective.rendezvous=barrier");
        assertEquals(0.0, maxAbsDiff(driver, barrier));
    }
}
