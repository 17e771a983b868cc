package org.syncbn.bn;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;

/**
 * Converts networks between DL4J's {@link BatchNormalization} and {@link SyncBatchNormalization}.
 * Both have the same parameters in the same layout, so a conversion keeps every parameter (and
 * the updater state) bitwise identical; only the layer class in the configuration changes. An
 * exported model holds standard layers only and loads in plain DL4J.
 */
public final class BnConversion {
    private static final String BN = BatchNormalization.class.getName();
    private static final String SYNC = SyncBatchNormalization.class.getName();
    private static final String GHOST = "ghostBatchSize";

    private BnConversion() {
    }

    /** The configuration with every BatchNormalization layer made synchronized (ghost 0 = whole batch). */
    public static MultiLayerConfiguration toSync(MultiLayerConfiguration conf, int ghostBatchSize) {
        return MultiLayerConfiguration.fromJson(convert(conf.toJson(), true, ghostBatchSize));
    }

    /** The configuration with every SyncBatchNormalization layer made a standard one. */
    public static MultiLayerConfiguration toStandard(MultiLayerConfiguration conf) {
        return MultiLayerConfiguration.fromJson(convert(conf.toJson(), false, 0));
    }

    public static ComputationGraphConfiguration toSync(ComputationGraphConfiguration conf, int ghostBatchSize) {
        return ComputationGraphConfiguration.fromJson(convert(conf.toJson(), true, ghostBatchSize));
    }

    public static ComputationGraphConfiguration toStandard(ComputationGraphConfiguration conf) {
        return ComputationGraphConfiguration.fromJson(convert(conf.toJson(), false, 0));
    }

    /** A new network with standard BN layers and bitwise the same parameters, updater state and counters. */
    public static MultiLayerNetwork toStandard(MultiLayerNetwork net) {
        return copyState(net, toStandard(net.getLayerWiseConfigurations()));
    }

    /** A new network with SyncBN layers and bitwise the same parameters, updater state and counters. */
    public static MultiLayerNetwork toSync(MultiLayerNetwork net, int ghostBatchSize) {
        return copyState(net, toSync(net.getLayerWiseConfigurations(), ghostBatchSize));
    }

    private static MultiLayerNetwork copyState(MultiLayerNetwork from, MultiLayerConfiguration conf) {
        conf.setIterationCount(from.getIterationCount());
        conf.setEpochCount(from.getEpochCount());
        MultiLayerNetwork to = new MultiLayerNetwork(conf);
        to.init(from.params().dup(), false);
        if (from.getUpdater(false) != null && from.getUpdater(false).getStateViewArray() != null) {
            INDArray state = from.getUpdater(false).getStateViewArray();
            to.getUpdater(true).getStateViewArray().assign(state);
        }
        return to;
    }

    private static String convert(String json, boolean toSync, int ghost) {
        ObjectMapper mapper = NeuralNetConfiguration.mapper();
        try {
            JsonNode root = mapper.readTree(json);
            rewrite(root, toSync, ghost);
            return mapper.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void rewrite(JsonNode node, boolean toSync, int ghost) {
        if (node instanceof ObjectNode obj) {
            JsonNode cls = obj.get("@class");
            if (cls != null && toSync && cls.asText().equals(BN)) {
                if (obj.path("lockGammaBeta").asBoolean(false)) {
                    throw new IllegalArgumentException("layer " + obj.path("layerName").asText("?")
                            + ": BatchNormalization with lockGammaBeta cannot be synchronized");
                }
                obj.put("@class", SYNC);
                obj.put(GHOST, ghost);
            } else if (cls != null && !toSync && cls.asText().equals(SYNC)) {
                obj.put("@class", BN);
                obj.remove(GHOST);
            }
        }
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
            rewrite(it.next(), toSync, ghost);
        }
    }
}
