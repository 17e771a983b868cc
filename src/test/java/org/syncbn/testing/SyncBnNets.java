package org.syncbn.testing;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.syncbn.bn.StatisticsExchange;
import org.syncbn.bn.SyncBatchNormalizationLayer;
import org.syncbn.collective.Collective;
import org.syncbn.network.Network;

import java.util.List;

/** What a worker does to its network's SyncBN layers, for tests that drive networks by hand. */
public final class SyncBnNets {
    private SyncBnNets() {
    }

    public static List<SyncBatchNormalizationLayer> layers(MultiLayerNetwork net) {
        return Network.of(net).syncBnLayers();
    }

    /** Every SyncBN layer of {@code net} shares its statistics through {@code collective}. */
    public static void attach(MultiLayerNetwork net, Collective collective) {
        for (SyncBatchNormalizationLayer l : layers(net)) {
            l.setCollective(collective);
        }
    }

    /** A step without examples ({@link StatisticsExchange#sitOutStep}). */
    public static void sitOutStep(MultiLayerNetwork net, Collective collective) {
        StatisticsExchange.sitOutStep(layers(net), collective);
    }

    /** A forward pass without examples ({@link StatisticsExchange#sitOutForward}). */
    public static void sitOutForward(MultiLayerNetwork net, Collective collective) {
        StatisticsExchange.sitOutForward(layers(net), collective);
    }
}
