package org.syncbn.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.syncbn.config.SpecException;
import org.syncbn.network.Network;
import org.syncbn.store.FileStore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Reads {@code model.file}: a DL4J configuration JSON (a MultiLayerConfiguration or
 * ComputationGraphConfiguration as {@code toJson()} writes it) or a model zip written by
 * ModelSerializer (then its parameters are the starting point), from a local path or any Hadoop
 * FileSystem URI.
 */
final class FileModels {
    private FileModels() {
    }

    /**
     * What the file holds: a configuration (one of the two non-null), and the zip's network when it is one.
     */
    record Loaded(MultiLayerConfiguration layered, ComputationGraphConfiguration graph, Network zip) {}

    static Loaded read(String location, Supplier<org.apache.hadoop.conf.Configuration> hadoop) {
        String what = "model.file = " + location;
        int slash = location.lastIndexOf('/');
        String dir = slash < 0 ? "." : slash == 0 ? "/" : location.substring(0, slash);
        String name = location.substring(slash + 1);
        FileStore store = FileStore.at(dir, hadoop);
        if (!store.exists(name)) {
            throw new SpecException(what + ": no such file");
        }
        return store.read(name, local -> parse(local, what));
    }

    private static Loaded parse(Path local, String what) throws IOException {
        byte[] head = new byte[2];
        try (var in = Files.newInputStream(local)) {
            int n = in.readNBytes(head, 0, 2);
            if (n == 2 && head[0] == 'P' && head[1] == 'K') {
                Network zip;
                try {
                    zip = Network.read(local.toFile(), false);
                } catch (SpecException refused) {
                    throw new SpecException(what + ": " + refused.getMessage(), refused);
                } catch (IOException | RuntimeException e) {
                    throw new SpecException(what + " is not a DL4J model zip (ModelSerializer): "
                            + ZooModels.oneLine(e), e);
                }
                String json = zip.configurationJson();
                return zip.dl4j() instanceof org.deeplearning4j.nn.graph.ComputationGraph
                        ? new Loaded(null, ComputationGraphConfiguration.fromJson(json), zip)
                        : new Loaded(MultiLayerConfiguration.fromJson(json), null, zip);
            }
        }
        String json = Files.readString(local, StandardCharsets.UTF_8);
        try {
            if (json.contains("\"vertices\"") && !json.contains("\"confs\"")) {
                return new Loaded(null, ComputationGraphConfiguration.fromJson(json), null);
            }
            if (json.contains("\"confs\"")) {
                return new Loaded(MultiLayerConfiguration.fromJson(json), null, null);
            }
        } catch (RuntimeException e) {
            throw new SpecException(what + " is not a DL4J configuration JSON: " + ZooModels.oneLine(e), e);
        }
        throw new SpecException(what + " is neither a DL4J model zip nor a configuration JSON (expected a"
                + " MultiLayerConfiguration or ComputationGraphConfiguration as toJson() writes it)");
    }
}
