package org.syncbn.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/** provenance.json: where a model came from (spec, seed, code and library versions, data). */
public final class Provenance {
    public static final String FILE = "provenance.json";

    private Provenance() {
    }

    /**
     * A resolved spec's text as a JSON object (what provenance.json holds under "spec"): the same keys
     * and values, readable by any JSON tool; {@link #specText} turns it back into text the spec loader reads.
     */
    public static JsonNode specJson(String resolvedHocon) {
        String json = ConfigFactory.parseString(resolvedHocon).root().render(ConfigRenderOptions.concise());
        try {
            return Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("a rendered spec is not JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The spec a provenance record holds, as text for {@code JobSpecLoader.fromResolved} (JSON is HOCON):
     * the object this code writes, or the HOCON string of records written before; empty when there is none.
     */
    public static Optional<String> specText(JsonNode provenance) {
        JsonNode spec = provenance.path("spec");
        if (spec.isObject()) {
            return Optional.of(spec.toString());
        }
        return spec.isTextual() ? Optional.of(spec.asText()) : Optional.empty();
    }

    /** Writes {@code record} as {@code dir/provenance.json}, atomically. */
    public static void write(FileStore dir, Object record) {
        dir.writeString(FILE, Json.pretty(record));
    }

    /**
     * Versions of this code and of the libraries it runs on, and the ND4J native build this JVM loaded
     * (loads ND4J when it is not yet).
     */
    public static Map<String, Object> versions(String sparkVersion) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("syncbn", projectVersion());
        v.put("git_commit", gitCommit());
        v.put("spark", sparkVersion);
        v.put("dl4j", dl4jVersion());
        v.put("nd4j", nd4jVersion());
        v.put("nd4j_native", nativeBuildLoaded());
        v.put("java", System.getProperty("java.version"));
        return v;
    }

    /**
     * This JVM's main class and arguments, exactly as given (from /proc through ProcessHandle; where
     * that is unavailable, Java's sun.java.command split on spaces).
     */
    public static List<String> commandLine() {
        String command = System.getProperty("sun.java.command", "");
        String main = command.isEmpty() ? "" : command.split(" ", 2)[0];
        Optional<String[]> args = ProcessHandle.current().info().arguments();
        if (args.isPresent() && !main.isEmpty()) {
            List<String> all = Arrays.asList(args.get());
            int at = all.indexOf(main);
            if (at >= 0) {
                return List.copyOf(all.subList(at, all.size()));
            }
        }
        return command.isEmpty() ? List.of() : List.of(command.split(" "));
    }

    /** The commit the scripts ran (scripts/env.sh passes it as -Dsyncbn.gitCommit), or "unknown". */
    public static String gitCommit() {
        return System.getProperty("syncbn.gitCommit", "unknown");
    }

    public static String dl4jVersion() {
        return pomVersion("org.deeplearning4j", "deeplearning4j-nn");
    }

    public static String nd4jVersion() {
        return pomVersion("org.nd4j", "nd4j-api");
    }

    /** The classifier of the ND4J native build this JVM loaded, e.g. linux-x86_64-onednn-avx2. */
    public static String nativeBuildLoaded() {
        return org.bytedeco.javacpp.Loader.getPlatform() + org.syncbn.natives.NativeBuild.current().extension();
    }

    /** This project's version (from the build). */
    public static String projectVersion() {
        try (InputStream in = Provenance.class.getResourceAsStream("/org/syncbn/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String pomVersion(String group, String artifact) {
        String res = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        try (InputStream in = Provenance.class.getResourceAsStream(res)) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
