package org.syncbn.network;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;

/**
 * One BatchNorm layer of a {@link Network}.
 *
 * @param position its place among the network's BN layers, in forward order
 * @param layer    DL4J's layer (standard or synchronized)
 */
public record BnLayer(int position, Layer layer) {

    public BatchNormalization conf() {
        return (BatchNormalization) layer.conf().getLayer();
    }

    /** The layer's name in its network (for messages). */
    public String name() {
        String name = conf().getLayerName();
        return name == null ? "layer " + layer.getIndex() : name;
    }

    public int channels() {
        return (int) conf().getNOut();
    }
}
