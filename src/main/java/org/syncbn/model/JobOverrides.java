package org.syncbn.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.syncbn.config.JobSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * What a job's keys change in a network it did not build itself (model.type = zoo or file), and
 * nothing else: every layer's updater and learning-rate rule (optim.updater, lr, momentum, lrScaling,
 * baseBatch, warmupEpochs, decay...), L2 on weights (optim.l2, 0 = none; biases and BN parameters
 * never decayed), the data type (dtype), and each BatchNorm layer's decay and eps (bn.decay, bn.eps)
 * and, where the network is built from its configuration, the variance parameterisation
 * (bn.useLogStd). bn.mode decides the BN layer class afterwards. Activations, weight initialisation,
 * the seed and the architecture stay as the file or the zoo says.
 */
final class JobOverrides {
    private JobOverrides() {
    }

    static void apply(MultiLayerConfiguration conf, JobSpec spec, int stepsPerEpoch, boolean useLogStd) {
        conf.setDataType(NetworkFactory.dataType(spec));
        for (NeuralNetConfiguration layer : conf.getConfs()) {
            apply(layer.getLayer(), spec, stepsPerEpoch, useLogStd);
        }
    }

    static void apply(ComputationGraphConfiguration conf, JobSpec spec, int stepsPerEpoch, boolean useLogStd) {
        conf.setDataType(NetworkFactory.dataType(spec));
        for (org.deeplearning4j.nn.conf.graph.GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv) {
                apply(lv.getLayerConf().getLayer(), spec, stepsPerEpoch, useLogStd);
            }
        }
    }

    private static void apply(Layer layer, JobSpec spec, int stepsPerEpoch, boolean useLogStd) {
        if (layer instanceof BaseLayer b) {
            IUpdater updater = NetworkFactory.updater(spec, stepsPerEpoch);
            b.setIUpdater(updater);
            b.setBiasUpdater(null);
            List<Regularization> l2 = new ArrayList<>();
            if (spec.optim().l2() > 0) {
                l2.add(new L2Regularization(spec.optim().l2()));
            }
            b.setRegularization(l2);
            b.setRegularizationBias(new ArrayList<>());
        }
        if (layer instanceof BatchNormalization bn) {
            bn.setDecay(spec.bn().decay());
            bn.setEps(spec.bn().eps());
            if (useLogStd) {
                bn.setUseLogStd(spec.bn().useLogStd());
            }
        }
    }
}
