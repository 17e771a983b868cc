package org.syncbn.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.bn.BnStatistics;
import org.syncbn.data.Batches;
import org.syncbn.data.Shard;

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

    /** Indices of the BN layers of {@code net}, in order. */
    public static List<Integer> bnLayers(MultiLayerNetwork net) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < net.getnLayers(); i++) {
            if (net.getLayerWiseConfigurations().getConf(i).getLayer() instanceof BatchNormalization) {
                idx.add(i);
            }
        }
        return idx;
    }

    /**
     * The parameters of {@code net} with precise statistics over {@code examples} training
     * examples (all of them when the shards hold fewer); {@code net} itself is updated too.
     */
    public static double[] recompute(JavaSparkContext sc, JavaRDD<Shard> shards, MultiLayerNetwork net, String runId,
                                     int threads, long examples) {
        String confJson = net.getLayerWiseConfigurations().toJson();
        int workers = shards.getNumPartitions();
        int quota = (int) Math.min(Integer.MAX_VALUE, (examples + workers - 1) / workers);
        for (int layer : bnLayers(net)) {
            Broadcast<double[]> params = sc.broadcast(NetworkState.params(net));
            try {
                int l = layer;
                List<BnStatistics> parts = shards.map(shard -> new Ranked(shard.rank(),
                                workerMoments(shard, l, quota, runId, confJson, params.value(), threads)))
                        .collect().stream().sorted(Comparator.comparingInt(Ranked::rank))
                        .map(Ranked::moments).filter(m -> m.count() > 0).toList();
                if (parts.isEmpty()) {
                    throw new IllegalStateException("PreciseBN: the training shards hold no examples");
                }
                BnStatistics.merge(parts).writeRunning(net.getLayer(layer));
            } finally {
                params.destroy();
            }
        }
        return NetworkState.params(net);
    }

    private record Ranked(int rank, BnStatistics moments) implements Serializable {}

    /** Moments of layer {@code layer}'s inputs over the first {@code quota} examples of one shard. */
    static BnStatistics workerMoments(Shard shard, int layer, int quota, String runId, String confJson,
                                        double[] params, int threads) {
        NativeThreads.apply(threads);
        MultiLayerNetwork net = WorkerNetworks.get(runId, "precise-bn", shard.rank(), confJson);
        net.setParams(Nd4j.create(params).castTo(net.params().dataType()));
        int n = Math.min(quota, shard.examples().count());
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = i;
        }
        List<BnStatistics> batches = new ArrayList<>();
        for (int from = 0; from < n; from += BATCH) {
            DataSet batch = Batches.of(shard.examples(), positions, from, Math.min(n, from + BATCH), net.params().dataType());
            batches.add(BnStatistics.ofActivations(layerInput(net, layer, batch.getFeatures()),
                    ((BatchNormalization) net.getLayerWiseConfigurations().getConf(layer).getLayer()).getCnn2DFormat()));
        }
        if (batches.isEmpty()) {
            return BnStatistics.empty((int) net.getLayer(layer).getParam("mean").length());
        }
        return BnStatistics.merge(batches);
    }

    /** What layer {@code layer} receives in inference mode (after its input preprocessor, if any). */
    static INDArray layerInput(MultiLayerNetwork net, int layer, INDArray features) {
        INDArray in = layer == 0 ? features : net.feedForwardToLayer(layer - 1, features, false).get(layer);
        InputPreProcessor pp = net.getLayerWiseConfigurations().getInputPreProcess(layer);
        return pp == null ? in : pp.preProcess(in, (int) in.size(0), LayerWorkspaceMgr.noWorkspaces());
    }
}
