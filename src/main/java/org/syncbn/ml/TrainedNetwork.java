package org.syncbn.ml;

import org.syncbn.network.InputLayout;
import org.syncbn.network.Network;

import java.io.Serializable;

/**
 * A trained network as plain values, which is what a model keeps and what its scoring tasks
 * receive by broadcast: the DL4J configuration JSON (standard BatchNormalization layers) and the
 * flat parameters (exact for float networks too).
 */
public record TrainedNetwork(String confJson, InputLayout input, double[] params) implements Serializable {

    /** The values of {@code net}; SyncBN layers become DL4J's BatchNormalization with the same parameters. */
    public static TrainedNetwork of(Network net) {
        Network standard = net.forExport();
        return new TrainedNetwork(standard.configurationJson(), standard.inputLayout(), standard.params());
    }

    /** Flat features per example (h x w x channels for image networks). */
    public int numFeatures() {
        return network().inputSize();
    }

    public int numClasses() {
        return network().outputSize();
    }

    /** A new network holding these parameters, for inference (no updater state). */
    public Network network() {
        Network net = Network.fromJson(confJson, input);
        net.setParams(params);
        return net;
    }
}
