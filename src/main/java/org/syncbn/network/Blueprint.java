package org.syncbn.network;

import java.io.Serializable;

/**
 * What an executor needs to build a run's network: DL4J's configuration JSON (of an initialised
 * network, so a BatchNorm layer's variance parameterisation is kept) and how it takes its input
 * ({@code multi}: how a graph of several inputs or outputs splits an example; null otherwise).
 */
public record Blueprint(String configurationJson, InputLayout input, MultiIo multi) implements Serializable {

    /** A freshly initialised network of this blueprint. */
    public Network build() {
        return Network.fromJson(configurationJson, input, multi);
    }
}
