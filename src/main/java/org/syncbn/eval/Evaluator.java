package org.syncbn.eval;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.data.Batches;
import org.syncbn.data.Examples;
import org.syncbn.data.Shard;
import org.syncbn.network.Blueprint;
import org.syncbn.network.Network;
import org.syncbn.worker.NativeThreads;
import org.syncbn.worker.WorkerNetworks;

import java.util.List;

/**
 * Test-set evaluation in inference mode (BN uses its running statistics; no example affects
 * another's output), on one JVM or distributed over the test shards.
 */
public final class Evaluator {
    private static final int BATCH = 500;
    private static final double PROB_FLOOR = 1e-10;

    private Evaluator() {
    }

    /** Evaluates {@code net} on all of {@code examples}. */
    public static EvalResult evaluate(Network net, Examples examples) {
        int classes = examples.labelSize();
        EvalResult total = EvalResult.empty(classes);
        int[] all = new int[examples.count()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        for (int from = 0; from < all.length; from += BATCH) {
            int to = Math.min(all.length, from + BATCH);
            DataSet batch = Batches.of(examples, all, from, to, net.dataType());
            INDArray out = net.output(batch.getFeatures());
            total = total.plus(score(out.toDoubleMatrix(), batch.getLabels().toDoubleMatrix(), classes));
        }
        return total;
    }

    /**
     * Evaluates the network of {@code blueprint} with {@code params} on every test shard, each on
     * its executor; partial results are summed in rank order.
     */
    public static EvalResult evaluate(JavaSparkContext sc, JavaRDD<Shard> testShards, String runId, Blueprint blueprint,
                                      double[] params, int threads) {
        Broadcast<double[]> p = sc.broadcast(params);
        try {
            List<EvalResult> parts = testShards.map(shard -> {
                NativeThreads.apply(threads);
                Network net = WorkerNetworks.get(runId, "eval", shard.rank(), blueprint);
                net.setParams(p.value());
                return new RankedResult(shard.rank(), evaluate(net, shard.examples()));
            }).collect().stream().sorted(java.util.Comparator.comparingInt(RankedResult::rank))
                    .map(RankedResult::result).toList();
            EvalResult total = EvalResult.empty(parts.get(0).confusion().length);
            for (EvalResult part : parts) {
                total = total.plus(part);
            }
            return total;
        } finally {
            p.destroy();
        }
    }

    private record RankedResult(int rank, EvalResult result) implements java.io.Serializable {}

    static EvalResult score(double[][] probs, double[][] labels, int classes) {
        long[][] confusion = new long[classes][classes];
        double loss = 0;
        for (int i = 0; i < probs.length; i++) {
            int predicted = argMax(probs[i]);
            int actual = argMax(labels[i]);
            confusion[actual][predicted]++;
            for (int j = 0; j < classes; j++) {
                if (labels[i][j] != 0) {
                    loss -= labels[i][j] * Math.log(Math.max(probs[i][j], PROB_FLOOR));
                }
            }
        }
        return new EvalResult(probs.length, loss, confusion);
    }

    /** The index of the largest entry (the first on ties): the predicted class of a probability row. */
    public static int argMax(double[] v) {
        int best = 0;
        for (int j = 1; j < v.length; j++) {
            if (v[j] > v[best]) {
                best = j;
            }
        }
        return best;
    }
}
