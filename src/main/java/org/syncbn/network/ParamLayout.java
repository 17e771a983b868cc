package org.syncbn.network;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where each BatchNorm layer's running statistics sit in a network's flat parameter vector.
 * Everything else in the vector (weights, biases, gamma, beta) is an ordinary parameter.
 *
 * @param bnStats one entry per BN layer, in forward order
 * @param length  total number of parameters
 */
public record ParamLayout(List<BnStatsSlot> bnStats, long length) implements Serializable {

    /**
     * One BN layer's running statistics.
     *
     * @param layer      the layer's name (for messages)
     * @param meanOffset offset of the running mean (channels values)
     * @param varOffset  offset of the running variance, or of log10(std) when {@code log10Std}
     */
    public record BnStatsSlot(String layer, int meanOffset, int varOffset, int channels, boolean log10Std)
            implements Serializable {}

    /** Reads the layout off an initialised network. */
    public static ParamLayout of(Network net) {
        List<BnStatsSlot> slots = new ArrayList<>();
        long offset = 0;
        // DL4J flattens layer by layer in forward order, each layer's parameters in its paramTable() order.
        for (Layer layer : net.layers()) {
            Map<String, INDArray> table = layer.paramTable();
            int mean = -1;
            int var = -1;
            int channels = 0;
            boolean log10 = false;
            for (Map.Entry<String, INDArray> e : table.entrySet()) {
                long n = e.getValue().length();
                switch (e.getKey()) {
                    case BatchNormalizationParamInitializer.GLOBAL_MEAN -> {
                        mean = Math.toIntExact(offset);
                        channels = Math.toIntExact(n);
                    }
                    case BatchNormalizationParamInitializer.GLOBAL_VAR -> var = Math.toIntExact(offset);
                    case BatchNormalizationParamInitializer.GLOBAL_LOG_STD -> {
                        var = Math.toIntExact(offset);
                        log10 = true;
                    }
                    default -> {
                    }
                }
                offset += n;
            }
            if (mean >= 0 && var >= 0 && layer.conf().getLayer() instanceof BatchNormalization bn) {
                String name = bn.getLayerName() == null ? "layer " + layer.getIndex() : bn.getLayerName();
                slots.add(new BnStatsSlot(name, mean, var, channels, log10));
            }
        }
        long total = net.params().length;
        if (offset != total) {
            throw new IllegalStateException("parameter table covers " + offset + " of " + total + " parameters");
        }
        return new ParamLayout(List.copyOf(slots), offset);
    }
}
