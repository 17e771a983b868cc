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

    public static void participateEmpty(MultiLayerNetwork net, Collective collective) {
        StatisticsExchange.sitOutStep(layers(net), collective);
    }

    public static void participateEmptyForward(MultiLayerNetwork net, Collective collective) {
        StatisticsExchange.sitOutForward(layers(net), collective);
    }
}
