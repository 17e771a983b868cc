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
    private static final String POPULATION = "populationStatistics";

    private BnConversion() {
    }

    /**
     * The configuration with every BatchNormalization layer made synchronized (ghost 0 = whole batch),
     * keeping DL4J's running-statistics rule.
     */
    public static MultiLayerConfiguration toSync(MultiLayerConfiguration conf, int ghostBatchSize) {
        return toSync(conf, ghostBatchSize, false);
    }

    /**
     * The configuration with every BatchNormalization layer made synchronized, with the population
     * running-statistics rule or DL4J's ({@link SyncBatchNormalization#isPopulationStatistics()}).
     */
    public static MultiLayerConfiguration toSync(MultiLayerConfiguration conf, int ghostBatchSize,
                                                 boolean populationStatistics) {
        return keepVarianceParameterisation(conf,
                MultiLayerConfiguration.fromJson(convert(conf.toJson(), true, ghostBatchSize, populationStatistics)));
    }

    /** The configuration with every SyncBatchNormalization layer made a standard one. */
    public static MultiLayerConfiguration toStandard(MultiLayerConfiguration conf) {
        return keepVarianceParameterisation(conf, MultiLayerConfiguration.fromJson(convert(conf.toJson(), false, 0, false)));
    }

    public static ComputationGraphConfiguration toSync(ComputationGraphConfiguration conf, int ghostBatchSize) {
        return toSync(conf, ghostBatchSize, false);
    }

    public static ComputationGraphConfiguration toSync(ComputationGraphConfiguration conf, int ghostBatchSize,
                                                       boolean populationStatistics) {
        return keepVarianceParameterisation(conf, ComputationGraphConfiguration.fromJson(
                convert(conf.toJson(), true, ghostBatchSize, populationStatistics)));
    }

    public static ComputationGraphConfiguration toStandard(ComputationGraphConfiguration conf) {
        return keepVarianceParameterisation(conf,
                ComputationGraphConfiguration.fromJson(convert(conf.toJson(), false, 0, false)));
    }

    /**
     * DL4J's JSON reader re-derives useLogStd of every BatchNorm layer from the parameter names an
     * initialised network recorded, and assumes log10(std) when there are none (a configuration
     * no network has used yet): copy the flag over from the source so a conversion never changes it.
     */
    private static MultiLayerConfiguration keepVarianceParameterisation(MultiLayerConfiguration from,
                                                                        MultiLayerConfiguration to) {
        for (int i = 0; i < from.getConfs().size(); i++) {
            copyUseLogStd(from.getConf(i).getLayer(), to.getConf(i).getLayer());
        }
        return to;
    }

    private static ComputationGraphConfiguration keepVarianceParameterisation(ComputationGraphConfiguration from,
                                                                              ComputationGraphConfiguration to) {
        from.getVertices().forEach((name, vertex) -> {
            if (vertex instanceof org.deeplearning4j.nn.conf.graph.LayerVertex lv
                    && to.getVertices().get(name) instanceof org.deeplearning4j.nn.conf.graph.LayerVertex tv) {
                copyUseLogStd(lv.getLayerConf().getLayer(), tv.getLayerConf().getLayer());
            }
        });
        return to;
    }

    private static void copyUseLogStd(org.deeplearning4j.nn.conf.layers.Layer from,
                                      org.deeplearning4j.nn.conf.layers.Layer to) {
        if (from instanceof BatchNormalization f && to instanceof BatchNormalization t) {
            t.setUseLogStd(f.isUseLogStd());
        }
    }

    /** A new network with standard BN layers and bitwise the same parameters, updater state and counters. */
    public static MultiLayerNetwork toStandard(MultiLayerNetwork net) {
        return copyState(net, toStandard(net.getLayerWiseConfigurations()));
    }

    /** A new network with SyncBN layers and bitwise the same parameters, updater state and counters. */
    public static MultiLayerNetwork toSync(MultiLayerNetwork net, int ghostBatchSize) {
        return copyState(net, toSync(net.getLayerWiseConfigurations(), ghostBatchSize, false));
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

    private static String convert(String json, boolean toSync, int ghost, boolean population) {
        ObjectMapper mapper = NeuralNetConfiguration.mapper();
        try {
            JsonNode root = mapper.readTree(json);
            rewrite(root, toSync, ghost, population);
            return mapper.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void rewrite(JsonNode node, boolean toSync, int ghost, boolean population) {
        if (node instanceof ObjectNode obj) {
            JsonNode cls = obj.get("@class");
            if (cls != null && toSync && cls.asText().equals(BN)) {
                if (obj.path("lockGammaBeta").asBoolean(false)) {
                    throw new IllegalArgumentException("layer " + obj.path("layerName").asText("?")
                            + ": BatchNormalization with lockGammaBeta cannot be synchronized");
                }
                obj.put("@class", SYNC);
                obj.put(GHOST, ghost);
                obj.put(POPULATION, population);
            } else if (cls != null && !toSync && cls.asText().equals(SYNC)) {
                obj.put("@class", BN);
                obj.remove(GHOST);
                obj.remove(POPULATION);
            }
        }
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
            rewrite(it.next(), toSync, ghost, population);
        }
    }
}
