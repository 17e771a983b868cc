package org.syncbn.network;

import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Which kind of DL4J network a configuration JSON or a model zip holds, and the one entry this project
 * adds to a model zip: how the network takes its input ({@link InputLayout}, as JSON; plain DL4J
 * ignores the entry).
 */
final class NetworkJson {
    /** The entry of a ModelSerializer zip that holds the configuration. */
    static final String CONFIGURATION_ENTRY = "configuration.json";
    static final String LAYOUT_ENTRY = "syncbn-input-layout.json";
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

    /** Adds the layout entry to a model zip (an image layout only: flat is what a zip without it means). */
    static void writeLayout(File zip, InputLayout layout) throws IOException {
        if (!layout.isImage()) {
            return;
        }
        String json = MAPPER.writeValueAsString(java.util.Map.of("kind", layout.kind().name(),
                "channels", layout.channels(), "height", layout.height(), "width", layout.width()));
        try (java.nio.file.FileSystem fs = java.nio.file.FileSystems.newFileSystem(zip.toPath())) {
            java.nio.file.Files.writeString(fs.getPath(LAYOUT_ENTRY), json, StandardCharsets.UTF_8);
        }
    }

    /** The layout entry's JSON. */
    static InputLayout parseLayout(byte[] json) throws IOException {
        try {
            JsonNode n = MAPPER.readTree(json);
            return InputLayout.image(InputLayout.Kind.valueOf(n.path("kind").asText()), n.path("channels").asInt(),
                    n.path("height").asInt(), n.path("width").asInt());
        } catch (RuntimeException bad) {
            throw new IOException(LAYOUT_ENTRY + " is not an input layout: " + bad.getMessage(), bad);
        }
    }

}
