package org.syncbn.bn;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.syncbn.collective.Collective;

import java.util.ArrayList;
import java.util.List;

/** Run-time wiring of a network's SyncBatchNormalization layers to a collective. */
public final class SyncBn {
    private SyncBn() {
    }

    /** The network's SyncBN layers, in forward order. */
    public static List<SyncBatchNormalizationLayer> layers(MultiLayerNetwork net) {
        List<SyncBatchNormalizationLayer> out = new ArrayList<>();
        for (Layer l : net.getLayers()) {
            if (l instanceof SyncBatchNormalizationLayer s) {
                out.add(s);
            }
        }
        return out;
    }

    /** Makes every SyncBN layer of {@code net} share statistics through {@code collective}. */
    public static void attach(MultiLayerNetwork net, Collective collective) {
        for (SyncBatchNormalizationLayer l : layers(net)) {
            l.setCollective(collective);
        }
    }

    /**
     * A worker with no examples in a step still joins every collective the others run, in the
     * same order (each layer's forward all-gather, then each layer's backward all-reduce in
     * reverse order), contributing zeros; and it applies the same running-statistics update, so
     * all workers keep identical running statistics.
     */
    public static void participateEmpty(MultiLayerNetwork net, Collective collective) {
        if (collective.size() == 1) {
            return;
        }
        List<SyncBatchNormalizationLayer> layers = layers(net);
        List<SyncBatchNormalizationLayer.Merged> stats = forward(layers, collective);
        for (int i = layers.size() - 1; i >= 0; i--) {
            collective.allReduceSum(new double[2 * channels(layers.get(i))]);
        }
        for (int i = 0; i < layers.size(); i++) {
            SyncBatchNormalizationLayer.Merged m = stats.get(i);
            if (m.count() > 0) {
                double[] var = new double[m.mean().length];
                for (int j = 0; j < var.length; j++) {
                    var[j] = m.m2()[j] / m.count();
                }
                RunningStats.applyToParams(layers.get(i), m.mean(), var);
            }
        }
    }

    /** The forward half of {@link #participateEmpty}: for a training-mode forward pass without backprop. */
    public static void participateEmptyForward(MultiLayerNetwork net, Collective collective) {
        if (collective.size() > 1) {
            forward(layers(net), collective);
        }
    }

    private static List<SyncBatchNormalizationLayer.Merged> forward(List<SyncBatchNormalizationLayer> layers,
                                                                   Collective collective) {
        List<SyncBatchNormalizationLayer.Merged> stats = new ArrayList<>();
        for (SyncBatchNormalizationLayer l : layers) {
            int c = channels(l);
            stats.add(SyncBatchNormalizationLayer.merge(collective.allGather(new double[1 + 2 * c]), c));
        }
        return stats;
    }

    private static int channels(SyncBatchNormalizationLayer l) {
        return (int) ((org.deeplearning4j.nn.conf.layers.BatchNormalization) l.conf().getLayer()).getNOut();
    }
}
