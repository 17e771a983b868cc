package org.syncbn.ml;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.syncbn.bn.BnConversion;
import org.syncbn.model.NetworkFactory;
import org.syncbn.train.NetworkState;

import java.io.Serializable;

/**
 * A trained network as plain values, which is what a model keeps and what its scoring tasks
 * receive by broadcast: the DL4J configuration JSON (standard BatchNormalization layers) and the
 * flat parameters (exact for float networks too).
 */
public record TrainedNetwork(String confJson, double[] params) implements Serializable {

    /** The values of {@code net}; SyncBN layers become DL4J's BatchNormalization with the same parameters. */
    public static TrainedNetwork of(MultiLayerNetwork net) {
        MultiLayerNetwork standard = BnConversion.toStandard(net);
        return new TrainedNetwork(standard.getLayerWiseConfigurations().toJson(), NetworkState.params(standard));
    }

    /** Flat features per example (h x w x channels for image networks). */
    public int numFeatures() {
        return NetworkFactory.inputSize(MultiLayerConfiguration.fromJson(confJson));
    }

    public int numClasses() {
        return NetworkFactory.outputSize(MultiLayerConfiguration.fromJson(confJson));
    }

    /** A new network holding these parameters, for inference (no updater state). */
    public MultiLayerNetwork network() {
        MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(confJson));
        net.init();
        NetworkState.load(net, params, new double[0]);
        return net;
    }
}
