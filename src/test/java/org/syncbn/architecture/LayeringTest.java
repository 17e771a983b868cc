package org.syncbn.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packages of src/main stack in floors (docs/ARCHITECTURE.md, "Packages"): a package uses only
 * packages on lower floors, never one beside it or above it. Read from the sources themselves
 * (import lines and fully qualified names), so a new arrow upward fails here.
 */
class LayeringTest {
    /** Lowest floor first. */
    static final List<List<String>> FLOORS = List.of(
            List.of("collective", "natives", "serial"),
            List.of("bn", "conv"),
            List.of("config"),
            List.of("network", "data"),
            List.of("store", "worker"),
            List.of("model", "eval", "registry"),
            List.of("train"),
            List.of("bench", "ml", "experiment", "retrain"),
            List.of("cli"));

    private static final Pattern REFERENCE = Pattern.compile("\\borg\\.syncbn\\.([a-z]+)\\.");
    private static final Path MAIN = Path.of(System.getProperty("syncbn.projectDir", "."), "src/main/java/org/syncbn");

    private static int floor(String pkg) {
        for (int f = 0; f < FLOORS.size(); f++) {
            if (FLOORS.get(f).contains(pkg)) {
                return f;
            }
        }
        return -1;
    }

    private static Map<Path, String> sources() throws IOException {
        Map<Path, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                out.put(p, Files.readString(p));
            }
        }
        return out;
    }

    @Test
    void everyPackageOfSrcMainHasAFloor() throws IOException {
        TreeSet<String> unplaced = new TreeSet<>();
        for (Path p : sources().keySet()) {
            String pkg = MAIN.relativize(p).getName(0).toString();
            if (floor(pkg) < 0) {
                unplaced.add(pkg);
            }
        }
        assertTrue(unplaced.isEmpty(), "packages without a floor in LayeringTest.FLOORS: " + unplaced);
    }

    /** Every reference in {@code sources} (file → text, under {@link #MAIN}) that does not run down the floors. */
    static List<String> upward(Map<Path, String> sources) {
        List<String> upward = new ArrayList<>();
        for (Map.Entry<Path, String> e : sources.entrySet()) {
            String pkg = MAIN.relativize(e.getKey()).getName(0).toString();
            int own = floor(pkg);
            Matcher m = REFERENCE.matcher(e.getValue());
            TreeSet<String> used = new TreeSet<>();
            while (m.find()) {
                used.add(m.group(1));
            }
            for (String target : used) {
                if (!target.equals(pkg) && floor(target) >= own) {
                    upward.add(MAIN.relativize(e.getKey()) + " (" + pkg + ", floor " + (own + 1) + ") uses " + target
                            + " (floor " + (floor(target) + 1) + ")");
                }
            }
        }
        return upward;
    }

    @Test
    void noPackageUsesOneBesideOrAboveIt() throws IOException {
        assertEquals(List.of(), upward(sources()), "references that do not run down the floors");
    }

    @Test
    void anImportUpwardOrSidewaysIsCaughtAndADownwardOneIsNot() {
        Map<Path, String> fake = new TreeMap<>();
        fake.put(MAIN.resolve("collective/Up.java"), "package org.syncbn.collective;\nimport org.syncbn.train.TrainingRun;\n");
        fake.put(MAIN.resolve("eval/Side.java"), "package org.syncbn.eval;\nclass Side { org.syncbn.registry.ModelLock l; }\n");
        fake.put(MAIN.resolve("train/Down.java"), "package org.syncbn.train;\nimport org.syncbn.worker.RoundTask;\n");
        List<String> found = upward(fake);
        assertEquals(2, found.size(), found.toString());
        assertTrue(found.get(0).contains("collective/Up.java") && found.get(0).contains("uses train"), found.toString());
        assertTrue(found.get(1).contains("eval/Side.java") && found.get(1).contains("uses registry"), found.toString());
    }
}
