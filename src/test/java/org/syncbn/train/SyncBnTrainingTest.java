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

    private double[] train(String name, String... sets) throws Exception {
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
        MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(out.resolve("model.zip").toFile(), false);
        return net.params().toDoubleVector();
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
