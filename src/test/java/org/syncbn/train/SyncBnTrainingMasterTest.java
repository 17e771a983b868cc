package org.syncbn.train;

import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.data.Batches;
import org.syncbn.data.Examples;
import org.syncbn.data.IdxDataSource;
import org.syncbn.model.NetworkFactory;
import org.syncbn.testing.TestSpark;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The dl4j-spark entry point: {@code new SparkDl4jMultiLayer(sc, conf, master).fit(rdd)}. */
class SyncBnTrainingMasterTest {
    @TempDir
    Path tmp;

    @Test
    void fitThroughSparkDl4jMultiLayerEqualsTheCommandLineJobBitwise() {
        JobSpec spec = JobSpecLoader.load(null, List.of("data.dir=\"" + TestSpark.fashionMnistDir() + "\"",
                "data.maxTrainExamples=1280", "data.maxTestExamples=200", "data.shuffle=false", "dtype=double",
                "train.workers=2", "train.batchPerWorker=32", "train.epochs=1", "train.stepsPerRound=5",
                "model.hidden=[32,16]"));
        TrainingRun.Result job = TrainingRun.of(TestSpark.context(), spec).writingTo(tmp.resolve("job").toString()).run();

        Examples train = new IdxDataSource(spec.data()).train();
        List<DataSet> chunks = new ArrayList<>();
        for (int from = 0; from < 1280; from += 10) {
            int[] idx = new int[10];
            for (int i = 0; i < 10; i++) {
                idx[i] = from + i;
            }
            chunks.add(Batches.of(train, idx, DataType.DOUBLE));
        }
        JavaRDD<DataSet> rdd = TestSpark.context().parallelize(chunks, 3);
        SyncBnTrainingMaster master = new SyncBnTrainingMaster.Builder(2, 32).stepsPerRound(5).shuffle(false)
                .seed(spec.seed()).build();
        SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(TestSpark.context(),
                NetworkFactory.build(spec, train.featureSize()), master);
        MultiLayerNetwork fitted = spark.fit(rdd);

        assertArrayEquals(job.finalParams(), fitted.params().toDoubleVector(), 0.0);
        assertEquals(1, fitted.getEpochCount());
        assertEquals(20, fitted.getIterationCount());   // ceil(1280 / 64) steps
    }

    @Test
    void syncBnNetworkThroughTheMasterEqualsPlainDl4jOnTheGlobalBatch() {
        JobSpec spec = JobSpecLoader.load(null, List.of("data.dir=\"" + TestSpark.fashionMnistDir() + "\"",
                "dtype=double", "optim.updater=sgd", "optim.lr=0.1", "model.hidden=[16,8]"));
        Examples train = new IdxDataSource(spec.data()).train();
        List<DataSet> rows = new ArrayList<>();
        for (int from = 0; from < 256; from += 4) {
            rows.add(Batches.of(train, new int[] {from, from + 1, from + 2, from + 3}, DataType.DOUBLE));
        }
        org.deeplearning4j.nn.conf.MultiLayerConfiguration plainConf = NetworkFactory.build(spec, train.featureSize());
        SyncBnTrainingMaster master = new SyncBnTrainingMaster.Builder(2, 32).stepsPerRound(1).shuffle(false).build();
        SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(TestSpark.context(),
                org.syncbn.bn.BnConversion.toSync(plainConf, 0), master);
        MultiLayerNetwork fitted = spark.fit(TestSpark.context().parallelize(rows, 2));

        MultiLayerNetwork plain = new MultiLayerNetwork(plainConf);
        plain.init();
        for (int from = 0; from < 256; from += 64) {
            plain.fit(DataSet.merge(rows.subList(from / 4, from / 4 + 16)));
        }
        double[] a = plain.params().toDoubleVector();
        double[] b = fitted.params().toDoubleVector();
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        org.junit.jupiter.api.Assertions.assertTrue(max <= 1e-9, "max abs difference " + max);
    }

    /** A residual graph taking [N, 1, 28, 28] images, with BN in the stem, the branch and after the add. */
    private static org.deeplearning4j.nn.conf.ComputationGraphConfiguration imageGraph() {
        return imageGraph(new org.nd4j.linalg.learning.config.Sgd(0.1));
    }

    private static org.deeplearning4j.nn.conf.ComputationGraphConfiguration imageGraph(
            org.nd4j.linalg.learning.config.IUpdater updater) {
        return new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(4)
                .dataType(DataType.DOUBLE).updater(updater)
                .convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Same).graphBuilder()
                .addInputs("in").setInputTypes(org.deeplearning4j.nn.conf.inputs.InputType.convolutional(28, 28, 1))
                .addLayer("c", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(3)
                        .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build(), "in")
                .addLayer("c_bn", new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build(), "c")
                .addLayer("b", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(3)
                        .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build(), "c_bn")
                .addLayer("b_bn", new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build(), "b")
                .addVertex("add", new org.deeplearning4j.nn.conf.graph.ElementWiseVertex(
                        org.deeplearning4j.nn.conf.graph.ElementWiseVertex.Op.Add), "b_bn", "c_bn")
                .addLayer("add_bn", new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build(), "add")
                .addLayer("pool", new org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer.Builder(
                        org.deeplearning4j.nn.conf.layers.PoolingType.AVG).build(), "add_bn")
                .addLayer("out", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
                        org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").build();
    }

    private static double maxDiff(double[] a, double[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static List<DataSet> imageRows(int n) {
        JobSpec spec = JobSpecLoader.load(null, List.of("data.dir=\"" + TestSpark.fashionMnistDir() + "\""));
        Examples train = new IdxDataSource(spec.data()).train();
        List<DataSet> rows = new ArrayList<>();
        for (int from = 0; from < n; from += 4) {
            DataSet d = Batches.of(train, new int[] {from, from + 1, from + 2, from + 3}, DataType.DOUBLE);
            rows.add(new DataSet(d.getFeatures().reshape(4, 1, 28, 28), d.getLabels()));
        }
        return rows;
    }

    @Test
    void gradientSyncThroughTheMasterIsAdamOnTheGlobalBatchForRoundsOfSeveralSteps() {
        List<DataSet> rows = imageRows(128);
        SyncBnTrainingMaster master = new SyncBnTrainingMaster.Builder(2, 16).stepsPerRound(4).sync("gradients")
                .shuffle(false).build();
        org.deeplearning4j.spark.impl.graph.SparkComputationGraph spark =
                new org.deeplearning4j.spark.impl.graph.SparkComputationGraph(TestSpark.context(),
                        org.syncbn.bn.BnConversion.toSync(imageGraph(new org.nd4j.linalg.learning.config.Adam(0.01)), 0),
                        master);
        org.deeplearning4j.nn.graph.ComputationGraph fitted = spark.fit(TestSpark.context().parallelize(rows, 2));

        org.deeplearning4j.nn.graph.ComputationGraph plain = new org.deeplearning4j.nn.graph.ComputationGraph(
                imageGraph(new org.nd4j.linalg.learning.config.Adam(0.01)));
        plain.init();
        for (int from = 0; from < 128; from += 32) {
            plain.fit(DataSet.merge(rows.subList(from / 4, from / 4 + 8)));
        }
        double max = maxDiff(plain.params().toDoubleVector(), fitted.params().toDoubleVector());
        org.junit.jupiter.api.Assertions.assertTrue(max <= 1e-9, "parameters: max abs difference " + max);
        double maxState = maxDiff(plain.getUpdater().getStateViewArray().toDoubleVector(),
                fitted.getUpdater().getStateViewArray().toDoubleVector());
        org.junit.jupiter.api.Assertions.assertTrue(maxState <= 1e-9, "Adam state: max abs difference " + maxState);
        assertThrows(IllegalArgumentException.class, () -> new SyncBnTrainingMaster.Builder(2, 16).sync("bogus"));
    }

    @Test
    void aGraphThroughSparkComputationGraphEqualsPlainDl4jOnTheGlobalBatch() {
        List<DataSet> rows = imageRows(128);
        SyncBnTrainingMaster master = new SyncBnTrainingMaster.Builder(2, 16).stepsPerRound(1).shuffle(false).build();
        org.deeplearning4j.spark.impl.graph.SparkComputationGraph spark =
                new org.deeplearning4j.spark.impl.graph.SparkComputationGraph(TestSpark.context(),
                        org.syncbn.bn.BnConversion.toSync(imageGraph(), 0), master);
        org.deeplearning4j.nn.graph.ComputationGraph fitted = spark.fit(TestSpark.context().parallelize(rows, 2));

        org.deeplearning4j.nn.graph.ComputationGraph plain = new org.deeplearning4j.nn.graph.ComputationGraph(imageGraph());
        plain.init();
        for (int from = 0; from < 128; from += 32) {
            plain.fit(DataSet.merge(rows.subList(from / 4, from / 4 + 8)));
        }
        double max = maxDiff(plain.params().toDoubleVector(), fitted.params().toDoubleVector());
        org.junit.jupiter.api.Assertions.assertTrue(max <= 1e-9, "max abs difference " + max);
        assertEquals(1, fitted.getConfiguration().getEpochCount());
    }

    /** Two inputs (an image and a plain vector) and two outputs, BN on both branches and after their merge. */
    private static org.deeplearning4j.nn.conf.ComputationGraphConfiguration twoInTwoOut() {
        return new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(6)
                .dataType(DataType.DOUBLE).updater(new org.nd4j.linalg.learning.config.Sgd(0.1)).graphBuilder()
                .addInputs("img", "vec")
                .setInputTypes(org.deeplearning4j.nn.conf.inputs.InputType.convolutional(28, 28, 1),
                        org.deeplearning4j.nn.conf.inputs.InputType.feedForward(5))
                .addLayer("c", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(5, 5).stride(4, 4).nOut(2)
                        .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build(), "img")
                .addLayer("c_bn", new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build(), "c")
                .addLayer("pool", new org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer.Builder(
                        org.deeplearning4j.nn.conf.layers.PoolingType.AVG).build(), "c_bn")
                .addLayer("v", new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nOut(2)
                        .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build(), "vec")
                .addLayer("v_bn", new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build(), "v")
                .addVertex("merge", new org.deeplearning4j.nn.conf.graph.MergeVertex(), "pool", "v_bn")
                .addLayer("m_bn", new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build(), "merge")
                .addLayer("class", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
                        org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build(), "m_bn")
                .addLayer("score", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
                        org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MSE).nOut(1)
                        .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build(), "m_bn")
                .setOutputs("class", "score").build();
    }

    @Test
    void aGraphOfTwoInputsAndTwoOutputsThroughFitMultiDataSetEqualsPlainDl4j() {
        java.util.Random rnd = new java.util.Random(8);
        List<org.nd4j.linalg.dataset.api.MultiDataSet> rows = new ArrayList<>();
        for (DataSet d : imageRows(96)) {
            org.nd4j.linalg.api.ndarray.INDArray vec = org.nd4j.linalg.factory.Nd4j.rand(DataType.DOUBLE, 4, 5);
            org.nd4j.linalg.api.ndarray.INDArray target = org.nd4j.linalg.factory.Nd4j.rand(DataType.DOUBLE, 4, 1);
            rows.add(new org.nd4j.linalg.dataset.MultiDataSet(new org.nd4j.linalg.api.ndarray.INDArray[] {d.getFeatures(), vec},
                    new org.nd4j.linalg.api.ndarray.INDArray[] {d.getLabels(), target.muli(rnd.nextDouble() + 1)}));
        }
        SyncBnTrainingMaster master = new SyncBnTrainingMaster.Builder(3, 8).stepsPerRound(1).shuffle(false).build();
        org.deeplearning4j.spark.impl.graph.SparkComputationGraph spark =
                new org.deeplearning4j.spark.impl.graph.SparkComputationGraph(TestSpark.context(),
                        org.syncbn.bn.BnConversion.toSync(twoInTwoOut(), 0), master);
        org.deeplearning4j.nn.graph.ComputationGraph fitted = spark.fitMultiDataSet(TestSpark.context().parallelize(rows, 2));

        org.deeplearning4j.nn.graph.ComputationGraph plain = new org.deeplearning4j.nn.graph.ComputationGraph(twoInTwoOut());
        plain.init();
        for (int from = 0; from < 96; from += 24) {
            plain.fit(org.nd4j.linalg.dataset.MultiDataSet.merge(rows.subList(from / 4, from / 4 + 6)));
        }
        double max = maxDiff(plain.params().toDoubleVector(), fitted.params().toDoubleVector());
        org.junit.jupiter.api.Assertions.assertTrue(max <= 1e-9, "max abs difference " + max);
    }

    @Test
    void unsupportedDl4jSparkFeaturesFailWithAReason() {
        SyncBnTrainingMaster master = new SyncBnTrainingMaster.Builder(2, 8).build();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> master.setCollectTrainingStats(true));
        assertEquals("SyncBnTrainingMaster does not support dl4j-spark training stats", e.getMessage());
        assertEquals("{\"type\":\"org.syncbn.train.SyncBnTrainingMaster\",\"workers\":2,\"batchPerWorker\":8,"
                + "\"stepsPerRound\":1,\"seed\":42,\"shuffle\":true,\"threadsPerWorker\":0,\"bnMode\":\"sync\","
                + "\"sync\":\"parameters\",\"collectiveTimeoutSec\":120}", master.toJson());
    }
}
