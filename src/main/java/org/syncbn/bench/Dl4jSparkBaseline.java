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
 * configuration (docs/ARCHITECTURE.md, "Facts about the dependency stack"): minibatches pre-exported as files and trained with
 * {@code fitPaths}, W workers × {@code batchPerWorker}, averaging every 5 minibatches.
 */
public final class Dl4jSparkBaseline {
    private Dl4jSparkBaseline() {
    }

    /** Per-epoch (samples/s, test accuracy); the export of minibatch files is not timed. */
    public static List<double[]> run(JobSpec spec, Path workDir) {
        BenchData data = BenchData.load(spec);
        Examples train = data.train();
        Examples test = data.test();
        DataType type = NetworkFactory.dataType(spec);
        int b = spec.train().batchPerWorker();
        List<String> paths = new ArrayList<>();
        try {
            Files.createDirectories(workDir);
            int[] all = new int[train.count()];
            java.util.Arrays.setAll(all, i -> i);
            for (int from = 0, i = 0; from < all.length; from += b, i++) {
                DataSet ds = Batches.of(train, all, from, Math.min(all.length, from + b), type);
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
                double acc = Evaluator.evaluate(org.syncbn.network.Network.of(net.getNetwork()), test).accuracy();
                epochs.add(new double[] {train.count() / seconds, acc});
            }
        }
        return epochs;
    }
}
