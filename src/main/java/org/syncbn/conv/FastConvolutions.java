package org.syncbn.conv;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one entry point of the fast convolutions: converts networks between DL4J's
 * {@link ConvolutionLayer} and {@link FastConvolution}. Both have the same fields and parameters
 * in the same layout, so a conversion keeps every parameter and the updater state bitwise; only
 * the layer class in the configuration changes. Only plain 2D convolutions convert: DL4J's
 * subclasses (1D, depthwise, separable, deconvolution) keep their own classes.
 *
 * <p>Call {@link #apply} on a network's configuration before building it, and
 * {@link #toStandard} on what is exported, so that model files hold DL4J layers only.
 */
public final class FastConvolutions {
    private static final String STANDARD = ConvolutionLayer.class.getName();
    private static final String FAST = FastConvolution.class.getName();

    private FastConvolutions() {
    }

    /** A copy of the configuration with every 2D ConvolutionLayer made a FastConvolution. */
    public static MultiLayerConfiguration apply(MultiLayerConfiguration conf) {
        return convert(conf, STANDARD, FAST);
    }

    /** A copy of the configuration with every 2D ConvolutionLayer made a FastConvolution. */
    public static ComputationGraphConfiguration apply(ComputationGraphConfiguration conf) {
        return convert(conf, STANDARD, FAST);
    }

    /** A copy of the configuration with every FastConvolution made DL4J's ConvolutionLayer again. */
    public static MultiLayerConfiguration toStandard(MultiLayerConfiguration conf) {
        return convert(conf, FAST, STANDARD);
    }

    /** A copy of the configuration with every FastConvolution made DL4J's ConvolutionLayer again. */
    public static ComputationGraphConfiguration toStandard(ComputationGraphConfiguration conf) {
        return convert(conf, FAST, STANDARD);
    }

    /*
     * Layer by layer on a clone, never through the whole configuration's JSON: DL4J's reader of a
     * whole configuration re-derives settings of other layers (BatchNorm's useLogStd) from what an
     * initialised network recorded, and a conversion must change nothing but the convolutions.
     */
    private static MultiLayerConfiguration convert(MultiLayerConfiguration conf, String from, String to) {
        MultiLayerConfiguration copy = conf.clone();
        for (NeuralNetConfiguration layerConf : copy.getConfs()) {
            layerConf.setLayer(convert(layerConf.getLayer(), from, to));
        }
        return copy;
    }

    private static ComputationGraphConfiguration convert(ComputationGraphConfiguration conf, String from, String to) {
        ComputationGraphConfiguration copy = conf.clone();
        copy.getVertices().values().forEach(vertex -> {
            if (vertex instanceof LayerVertex lv) {
                lv.getLayerConf().setLayer(convert(lv.getLayerConf().getLayer(), from, to));
            }
        });
        return copy;
    }

    /** The layer as class {@code to} when it is exactly of class {@code from} (same JSON fields), else itself. */
    private static Layer convert(Layer layer, String from, String to) {
        if (!layer.getClass().getName().equals(from)) {
            return layer;
        }
        ObjectMapper mapper = NeuralNetConfiguration.mapper();
        try {
            ObjectNode tree = mapper.valueToTree(layer);
            tree.put("@class", to);
            return mapper.treeToValue(tree, Layer.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new network with fast convolutions and bitwise the same parameters, updater state and counters. */
    public static MultiLayerNetwork apply(MultiLayerNetwork net) {
        return copyState(net, apply(net.getLayerWiseConfigurations()));
    }

    /** A new network with DL4J's convolutions and bitwise the same parameters, updater state and counters. */
    public static MultiLayerNetwork toStandard(MultiLayerNetwork net) {
        return copyState(net, toStandard(net.getLayerWiseConfigurations()));
    }

    /** A new graph with fast convolutions and bitwise the same parameters, updater state and counters. */
    public static ComputationGraph apply(ComputationGraph net) {
        return copyState(net, apply(net.getConfiguration()));
    }

    /** A new graph with DL4J's convolutions and bitwise the same parameters, updater state and counters. */
    public static ComputationGraph toStandard(ComputationGraph net) {
        return copyState(net, toStandard(net.getConfiguration()));
    }

    private static MultiLayerNetwork copyState(MultiLayerNetwork from, MultiLayerConfiguration conf) {
        conf.setIterationCount(from.getIterationCount());
        conf.setEpochCount(from.getEpochCount());
        MultiLayerNetwork to = new MultiLayerNetwork(conf);
        to.init(from.params().dup(), false);
        if (from.getUpdater(false) != null && from.getUpdater(false).getStateViewArray() != null) {
            to.getUpdater(true).getStateViewArray().assign(from.getUpdater(false).getStateViewArray());
        }
        return to;
    }

    private static ComputationGraph copyState(ComputationGraph from, ComputationGraphConfiguration conf) {
        conf.setIterationCount(from.getIterationCount());
        conf.setEpochCount(from.getEpochCount());
        ComputationGraph to = new ComputationGraph(conf);
        to.init(from.params().dup(), false);
        if (from.getUpdater(false) != null && from.getUpdater(false).getStateViewArray() != null) {
            INDArray state = from.getUpdater(false).getStateViewArray();
            to.getUpdater(true).getStateViewArray().assign(state);
        }
        return to;
    }

}
