package org.syncbn.network;

import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** Which kind of DL4J network a configuration JSON or a model zip holds. */
final class NetworkJson {
    /** The entry of a ModelSerializer zip that holds the configuration. */
    static final String CONFIGURATION_ENTRY = "configuration.json";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private NetworkJson() {
    }

    /** Whether {@code json} is a ComputationGraphConfiguration (vertices) rather than a MultiLayerConfiguration (confs). */
    static boolean isGraph(String json) {
        try {
            JsonNode root = MAPPER.readTree(json);
            return root != null && root.has("vertices") && !root.has("confs");
        } catch (IOException e) {
            throw new IllegalArgumentException("not a JSON document: " + e.getMessage(), e);
        }
    }

    /** The configuration JSON inside a ModelSerializer zip. */
    static String configurationOf(File zip) throws IOException {
        try (ZipFile z = new ZipFile(zip)) {
            ZipEntry e = z.getEntry(CONFIGURATION_ENTRY);
            if (e == null) {
                throw new IOException("no " + CONFIGURATION_ENTRY + " entry: not a DL4J model zip");
            }
            try (InputStream in = z.getInputStream(e)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
    }
}
