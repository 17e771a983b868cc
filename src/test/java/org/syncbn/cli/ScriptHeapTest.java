package org.syncbn.cli;

import org.junit.jupiter.api.Test;
import org.syncbn.testing.ChildJvm;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** scripts/env.sh's heap: SYNCBN_HEAP when set, else a share of the machine's memory, never a fixed size. */
class ScriptHeapTest {
    /** The java command line scripts/syncbn builds, one word per line, with SYNCBN_HEAP = {@code heap} (null: unset). */
    private static Result javaCommand(String heap) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c",
                "source scripts/env.sh && syncbn_java_cmd org.syncbn.cli.Main && printf '%s\\n' \"${SYNCBN_JAVA[@]}\"")
                .directory(ChildJvm.PROJECT.toFile());
        pb.environment().remove("SYNCBN_HEAP");
        if (heap != null) {
            pb.environment().put("SYNCBN_HEAP", heap);
        }
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList(),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private record Result(int code, List<String> words, String err) {}

    @Test
    void theHeapIsSyncbnHeapWhenSetAndFortyPercentOfTheMachinesMemoryOtherwise() throws Exception {
        Result set = javaCommand("3g");
        assertEquals(0, set.code(), set.err());
        assertTrue(set.words().contains("-Xmx3g"), set.words().toString());
        assertFalse(set.words().contains("-XX:MaxRAMPercentage=40"));

        Result unset = javaCommand(null);
        assertEquals(0, unset.code(), unset.err());
        assertTrue(unset.words().contains("-XX:MaxRAMPercentage=40"), unset.words().toString());
        assertTrue(unset.words().stream().noneMatch(w -> w.startsWith("-Xmx")), unset.words().toString());

        Result bad = javaCommand("lots");
        assertEquals(2, bad.code());
        assertEquals("syncbn: SYNCBN_HEAP must be a heap size such as 6g or 12000m, got 'lots'", bad.err().strip());
    }
}
