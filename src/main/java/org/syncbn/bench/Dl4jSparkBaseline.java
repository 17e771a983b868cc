package org.syncbn.bench;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.config.JobSpec;
import org.syncbn.data.Batches;
import org.syncbn.data.Examples;
import org.syncbn.data.IdxDataSource;
import org.syncbn.data.ShardPlan;
import org.syncbn.eval.Evaluator;
import org.syncbn.model.NetworkFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Benchmark (b): dl4j-spark's ParameterAveragingTrainingMaster in its fastest working local
 * configuration (DESIGN.md §6): minibatches pre-exported as files and trained with
 * {@code fitPaths}, W workers × {@code batchPerWorker}, averaging every 5 minibatches.
 */
public final class Dl4jSparkBaseline {
    private Dl4jSparkBaseline() {
    }

    /** Per-epoch (samples/s, test accuracy); the export of minibatch files is not timed. */
    public static List<double[]> run(JobSpec spec, Path workDir) {
        IdxDataSource source = new IdxDataSource(spec.data());
        Examples train = source.train();
        Examples test = source.test();
        int[] order = ShardPlan.globalOrder(train.count(), spec.data().maxTrainExamples(), spec.seed(), spec.data().shuffle());
        if (spec.data().maxTestExamples() > 0) {
            test = test.subset(ShardPlan.globalOrder(test.count(), spec.data().maxTestExamples(), 0, false));
        }
        DataType type = NetworkFactory.dataType(spec);
        int b = spec.train().batchPerWorker();
        List<String> paths = new ArrayList<>();
        try {
            Files.createDirectories(workDir);
            for (int from = 0, i = 0; from < order.length; from += b, i++) {
                DataSet ds = Batches.of(train, order, from, Math.min(order.length, from + b), type);
                File f = workDir.resolve("batch-" + i + ".bin").toFile();
                ds.save(f);
                paths.add(f.toURI().toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int workers = spec.train().workers();
        SparkConf conf = new SparkConf().setMaster("local[" + workers + "]").setAppName("bench-dl4j-spark")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1");
        List<double[]> epochs = new ArrayList<>();
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            sc.setLogLevel("WARN");
            ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(workers, b)
                    .batchSizePerWorker(b).averagingFrequency(5).workerPrefetchNumBatches(2)
                    .rngSeed(spec.seed()).build();
            SparkDl4jMultiLayer net = new SparkDl4jMultiLayer(sc, NetworkFactory.build(spec, train.featureSize()), master);
            JavaRDD<String> rdd = sc.parallelize(paths, workers);
            for (int e = 0; e < spec.train().epochs(); e++) {
                long t0 = System.nanoTime();
                net.fitPaths(rdd);
                double seconds = (System.nanoTime() - t0) / 1e9;
                double acc = Evaluator.evaluate(net.getNetwork(), test).accuracy();
                epochs.add(new double[] {order.length / seconds, acc});
            }
        }
        return epochs;
    }
}
