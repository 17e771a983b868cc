package org.syncbn.train;

import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.bn.BnStatistics;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.data.Batches;
import org.syncbn.data.IdxDataSource;
import org.syncbn.data.Shard;
import org.syncbn.data.ShardedRdds;
import org.syncbn.model.NetworkFactory;
import org.syncbn.network.Network;
import org.syncbn.testing.TestSpark;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PreciseBnTest {

    @Test
    void channelMomentsOfConvolutionalInputsReduceOverBatchAndSpaceInEitherLayout() {
        Random r = new Random(3);
        double[][][][] x = new double[3][2][4][5];   // N, C, H, W
        for (double[][][] a : x) for (double[][] b : a) for (double[] c : b) for (int i = 0; i < c.length; i++) c[i] = r.nextGaussian() * 3 + 1;
        INDArray nchw = Nd4j.create(x);
        for (int c = 0; c < 2; c++) {
            double sum = 0;
            int n = 0;
            for (int i = 0; i < 3; i++) for (int h = 0; h < 4; h++) for (int w = 0; w < 5; w++) { sum += x[i][c][h][w]; n++; }
            double mean = sum / n;
            double m2 = 0;
            for (int i = 0; i < 3; i++) for (int h = 0; h < 4; h++) for (int w = 0; w < 5; w++) m2 += Math.pow(x[i][c][h][w] - mean, 2);
            for (BnStatistics m : List.of(BnStatistics.ofActivations(nchw, CNN2DFormat.NCHW),
                    BnStatistics.ofActivations(nchw.permute(0, 2, 3, 1), CNN2DFormat.NHWC))) {
                assertEquals(60, m.count());
                assertEquals(mean, m.mean()[c], 1e-12);
                assertEquals(m2, m.m2()[c], 1e-9);
            }
        }
    }

    @Test
    void distributedPreciseStatisticsEqualPlainStatisticsOfTheWholeSetLayerByLayer() {
        JobSpec spec = JobSpecLoader.load(Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf"),
                List.of("data.dir=\"" + TestSpark.fashionMnistDir() + "\"", "data.maxTrainExamples=1000",
                        "model.hidden=[24,12]", "dtype=double", "train.workers=3"));
        JavaRDD<Shard> shards = ShardedRdds.training(TestSpark.context(), new IdxDataSource(spec.data()), 3, 1000,
                spec.seed(), true);
        MultiLayerNetwork net = new MultiLayerNetwork(NetworkFactory.build(spec, 784));
        net.init();
        MultiLayerNetwork reference = net.clone();
        Network referenceNet = Network.of(reference);

        double[] precise = PreciseBn.recompute(TestSpark.context(), shards, Network.of(net), "precise-test", 1, 1_000_000);

        // reference: one JVM, all 1000 examples as one batch, each BN layer in turn, plain two-pass moments
        List<Shard> all = shards.collect();
        for (org.syncbn.network.BnLayer bnLayer : referenceNet.batchNorms()) {
            double[] sum = null;
            long n = 0;
            List<double[]> rows = new java.util.ArrayList<>();
            for (Shard s : all) {
                int[] pos = java.util.stream.IntStream.range(0, s.examples().count()).toArray();
                DataSet d = Batches.of(s.examples(), pos, DataType.DOUBLE);
                INDArray in = referenceNet.bnInput(bnLayer, d.getFeatures());
                for (double[] row : in.toDoubleMatrix()) {
                    rows.add(row);
                }
            }
            int channels = rows.get(0).length;
            double[] mean = new double[channels];
            for (double[] row : rows) for (int c = 0; c < channels; c++) mean[c] += row[c] / rows.size();
            double[] var = new double[channels];
            for (double[] row : rows) for (int c = 0; c < channels; c++) var[c] += Math.pow(row[c] - mean[c], 2) / rows.size();
            Layer bn = bnLayer.layer();
            bn.getParam("mean").assign(Nd4j.create(mean).reshape(bn.getParam("mean").shape()));
            double[] log = new double[channels];
            for (int c = 0; c < channels; c++) log[c] = BnStatistics.varToLog10Std(var[c]);
            bn.getParam("log10stdev").assign(Nd4j.create(log).reshape(bn.getParam("log10stdev").shape()));
            assertEquals(1000, rows.size());
        }
        assertArrayEquals(reference.params().toDoubleVector(), precise, 1e-10);
        assertArrayEquals(precise, net.params().toDoubleVector(), 0.0);
    }

    @Test
    void aJobWithPreciseBnExportsThePreciseStatisticsAndRecordsBothAccuracies(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        JobSpec spec = JobSpecLoader.load(Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf"),
                List.of("data.dir=\"" + TestSpark.fashionMnistDir() + "\"", "data.maxTrainExamples=1280",
                        "data.maxTestExamples=400", "model.hidden=[32]", "train.epochs=1", "bn.precise.examples=600"));
        TrainingRun.Result o = TrainingRun.of(TestSpark.context(), spec).writingTo(tmp.toString()).run();
        List<com.fasterxml.jackson.databind.JsonNode> metrics = new org.syncbn.store.MetricsLog(tmp.resolve("metrics.jsonl")).read();
        com.fasterxml.jackson.databind.JsonNode p = metrics.get(metrics.size() - 1).get("precise_bn");
        assertEquals(600, p.get("examples").asLong());
        assertEquals(metrics.get(0).get("test_accuracy").asDouble(), p.get("ema_test_accuracy").asDouble());
        assertEquals(o.lastEval().accuracy(), p.get("precise_test_accuracy").asDouble());
        MultiLayerNetwork saved = org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(
                tmp.resolve("model.zip").toFile(), false);
        assertArrayEquals(o.finalParams(), saved.params().toDoubleVector(), 0.0);
        // the checkpoint holds the EMA statistics of training: PreciseBN changed only the BN statistics
        MultiLayerNetwork ema = org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(
                tmp.resolve("checkpoint.zip").toFile(), false);
        Layer bnSaved = saved.getLayer(1);
        Layer bnEma = ema.getLayer(1);
        assertArrayEquals(bnEma.getParam("gamma").toDoubleVector(), bnSaved.getParam("gamma").toDoubleVector(), 0.0);
        assertEquals(false, java.util.Arrays.equals(bnEma.getParam("mean").toDoubleVector(),
                bnSaved.getParam("mean").toDoubleVector()));
    }
}
