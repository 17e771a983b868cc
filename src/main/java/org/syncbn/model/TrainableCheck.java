package org.syncbn.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.syncbn.bn.SyncBatchNormalization;
import org.syncbn.config.SpecException;

import java.util.Map;

/**
 * Refuses, before training, a network the project cannot train exactly, naming the layer and the
 * reason: a layer or vertex class that is not DL4J's own (a custom class: what it does with a batch
 * is unknown), a BatchNorm variant the project does not know (a subclass of DL4J's), a BatchNorm
 * layer with locked gamma and beta or inside a wrapper (frozen), and a graph with several inputs or
 * outputs on the paths that feed one features array and one labels array.
 */
final class TrainableCheck {
    private static final String DL4J = "org.deeplearning4j.nn.conf.";

    private TrainableCheck() {
    }

    static void require(MultiLayerConfiguration conf, String what) {
        for (int i = 0; i < conf.getConfs().size(); i++) {
            Layer l = conf.getConf(i).getLayer();
            layer(l, what, l.getLayerName() == null ? "layer " + i : l.getLayerName());
        }
    }

    static void require(ComputationGraphConfiguration conf, String what) {
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            throw new SpecException(what + ": the graph has " + conf.getNetworkInputs().size() + " inputs and "
                    + conf.getNetworkOutputs().size() + " outputs: a job trains one input and one output"
                    + " (several are for SyncBnTrainingMaster with fit(JavaRDD<MultiDataSet>))");
        }
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            if (e.getValue() instanceof LayerVertex lv) {
                layer(lv.getLayerConf().getLayer(), what, e.getKey());
            } else if (!own(e.getValue().getClass())) {
                throw new SpecException(what + ": vertex '" + e.getKey() + "' is a " + e.getValue().getClass().getName()
                        + ", not one of DL4J's own vertices: the project cannot know what it does with a batch");
            }
        }
    }

    private static void layer(Layer l, String what, String name) {
        if (l instanceof FrozenLayer f) {
            frozen(f.getLayer(), what, name);
            return;
        }
        if (l instanceof BaseWrapperLayer w) {   // FrozenLayerWithBackprop and other wrappers
            frozen(w.getUnderlying(), what, name);
            return;
        }
        if (l instanceof BatchNormalization bn) {
            if (l.getClass() != BatchNormalization.class && l.getClass() != SyncBatchNormalization.class) {
                throw new SpecException(what + ": layer '" + name + "' is " + l.getClass().getName()
                        + ", a BatchNormalization variant the project does not know how to synchronise");
            }
            if (bn.isLockGammaBeta()) {
                throw new SpecException(what + ": layer '" + name + "' is a BatchNormalization with lockGammaBeta:"
                        + " gamma and beta must be learned parameters to synchronise it");
            }
            return;
        }
        if (!own(l.getClass())) {
            throw new SpecException(what + ": layer '" + name + "' is a " + l.getClass().getName()
                    + ", not one of DL4J's own layers: the project cannot know what it does with a batch");
        }
    }

    private static void frozen(Layer inner, String what, String name) {
        if (inner instanceof BatchNormalization) {
            throw new SpecException(what + ": layer '" + name + "' wraps a BatchNormalization (frozen): its"
                    + " statistics cannot be synchronised; unfreeze it or remove the wrapper");
        }
        if (!own(inner.getClass())) {
            throw new SpecException(what + ": layer '" + name + "' wraps a " + inner.getClass().getName()
                    + ", not one of DL4J's own layers");
        }
    }

    /** DL4J's own classes, and the project's convolution (DL4J's ConvolutionLayer with other kernels behind it). */
    private static boolean own(Class<?> type) {
        return type.getName().startsWith(DL4J) || type == org.syncbn.conv.FastConvolution.class;
    }
}
