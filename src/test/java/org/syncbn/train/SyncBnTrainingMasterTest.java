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

    @Test
    void unsupportedDl4jSparkFeaturesFailWithAReason() {
        SyncBnTrainingMaster master = new SyncBnTrainingMaster.Builder(2, 8).build();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> master.setCollectTrainingStats(true));
        assertEquals("SyncBnTrainingMaster does not support dl4j-spark training stats", e.getMessage());
        assertEquals("{\"type\":\"org.syncbn.train.SyncBnTrainingMaster\",\"workers\":2,\"batchPerWorker\":8,"
                + "\"stepsPerRound\":1,\"seed\":42,\"shuffle\":true,\"threadsPerWorker\":0,\"bnMode\":\"sync\","
                + "\"collectiveTimeoutSec\":120}", master.toJson());
    }
}
