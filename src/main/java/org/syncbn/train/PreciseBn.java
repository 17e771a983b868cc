package org.syncbn.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.bn.BnStatistics;
import org.syncbn.data.Batches;
import org.syncbn.data.Shard;
import org.syncbn.eval.EvalResult;
import org.syncbn.network.Blueprint;
import org.syncbn.network.BnLayer;
import org.syncbn.network.Network;
import org.syncbn.worker.NativeThreads;
import org.syncbn.worker.WorkerNetworks;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * PreciseBN (Wu &amp; Johnson 2021): after training, replace every BN layer's running mean and
 * variance (an exponential average over the last steps' batches, taken while the weights still
 * moved) by the population statistics of its inputs over N training examples with the final
 * weights. Layer by layer, first to last, because a layer's inputs depend on the statistics of
 * the BN layers before it; for each layer every worker computes the per-channel moments of its
 * share (the first ⌈N/W⌉ examples of its shard) in inference mode, and the driver merges them
 * exactly ({@link BnStatistics#merge}, in rank order) into mean and variance M2/N.
 */
public final class PreciseBn {
    private static final int BATCH = 256;

    private PreciseBn() {
    }

    /** The network's parameters with precise statistics, and the test evaluation they give. */
    public record Outcome(double[] params, EvalResult eval) {}

    /**
     * The parameters of {@code net} with precise statistics over {@code examples} training
     * examples (all of them when the shards hold fewer); {@code net} itself is updated too.
     */
    public static double[] recompute(JavaSparkContext sc, JavaRDD<Shard> shards, Network net, String runId,
                                     int threads, long examples) {
        Blueprint blueprint = net.blueprint();
        int workers = shards.getNumPartitions();
        int quota = (int) Math.min(Integer.MAX_VALUE, (examples + workers - 1) / workers);
        for (BnLayer bn : net.batchNorms()) {
            Broadcast<double[]> params = sc.broadcast(net.params());
            try {
                int position = bn.position();
                List<BnStatistics> parts = shards.map(shard -> new Ranked(shard.rank(),
                                workerMoments(shard, position, quota, runId, blueprint, params.value(), threads)))
                        .collect().stream().sorted(Comparator.comparingInt(Ranked::rank))
                        .map(Ranked::moments).filter(m -> m.count() > 0).toList();
                if (parts.isEmpty()) {
                    throw new IllegalStateException("PreciseBN: the training shards hold no examples");
                }
                BnStatistics.merge(parts).writeRunning(bn.layer());
            } finally {
                params.destroy();
            }
        }
        return net.params();
    }

    private record Ranked(int rank, BnStatistics moments) implements Serializable {}

    /** Moments of BN layer {@code position}'s inputs over the first {@code quota} examples of one shard. */
    static BnStatistics workerMoments(Shard shard, int position, int quota, String runId, Blueprint blueprint,
                                      double[] params, int threads) {
        NativeThreads.apply(threads);
        Network net = WorkerNetworks.get(runId, "precise-bn", shard.rank(), blueprint);
        net.setParams(params);
        BnLayer bn = net.batchNorms().get(position);
        int n = Math.min(quota, shard.examples().count());
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = i;
        }
        List<BnStatistics> batches = new ArrayList<>();
        for (int from = 0; from < n; from += BATCH) {
            DataSet batch = Batches.of(shard.examples(), positions, from, Math.min(n, from + BATCH), net.dataType());
            batches.add(BnStatistics.ofActivations(net.bnInput(bn, batch.getFeatures()), bn.conf().getCnn2DFormat()));
        }
        if (batches.isEmpty()) {
            return BnStatistics.empty(bn.channels());
        }
        return BnStatistics.merge(batches);
    }
}
