package org.syncbn.network;

import java.io.Serializable;

/**
 * What an executor needs to build a run's network: DL4J's configuration JSON (of an initialised
 * network, so a BatchNorm layer's variance parameterisation is kept) and how it takes its input.
 */
public record Blueprint(String configurationJson, InputLayout input) implements Serializable {

    /** A freshly initialised network of this blueprint. */
    public Network build() {
        return Network.fromJson(configurationJson, input);
    }
}
