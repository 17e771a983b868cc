package org.syncbn.cli;

import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.LocalFileStore;
import org.syncbn.testing.ChildCli;
import org.syncbn.testing.TestSpark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ctrl-C and SIGTERM sent to a {@code syncbn train} process in the middle of a round: it stops at the
 * next step boundary with one line and 130 / 143, the checkpoint intact, and {@code --resume} ends
 * bitwise where an uninterrupted run ends. A second signal ends it at once.
 */
class InterruptTest {
    private static final double LIMIT_SEC = 240;

    @TempDir
    Path tmp;

    private static String[] train(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train",
                Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf").toString(),
                "--set", "data.dir=\"" + TestSpark.fashionMnistDir() + "\"", "--set", "data.maxTrainExamples=6144",
                "--set", "data.maxTestExamples=300", "--set", "train.epochs=2", "--set", "model.hidden=[64,32]",
                "--set", "train.stepsPerRound=8", "--set", "checkpoint.everyRounds=2",
                "--set", "train.threadsPerWorker=1", "--out", out.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private static double[] params(Path run) throws Exception {
        return ModelSerializer.restoreMultiLayerNetwork(run.resolve("model.zip").toFile(), false).params().toDoubleVector();
    }

    /** Starts a run, waits for round {@code round}'s progress line and sends {@code signal} mid-way through the next. */
    private ChildCli signalledAfterRound(Path out, String name, int round, String signal) throws Exception {
        ChildCli child = ChildCli.start(tmp.resolve("logs"), name, train(out));
        assertTrue(child.awaitErrLine(l -> l.startsWith("round " + round + "/"), LIMIT_SEC), child.err());
        Thread.sleep(60);   // into the next round's steps (a round here takes ~0.3-1 s)
        child.signal(signal);
        return child;
    }

    private static void assertCleanStop(ChildCli child, int code, Path out) throws Exception {
        assertEquals(code, child.waitFor(LIMIT_SEC), child.err());
        String err = child.err();
        assertTrue(err.lines().anyMatch(l -> l.matches("interrupted at round \\d+: resume with --resume " + out)), err);
        assertFalse(err.contains("\tat "), "a stack trace:\n" + err);
        assertFalse(err.contains("re-running"), "the round was retried:\n" + err);
        assertFalse(err.contains(" ERROR "), err);
        assertTrue(Checkpoint.read(new LocalFileStore(out)).nextRound() > 0);
        assertFalse(Files.exists(out.resolve("model.zip")));
    }

    @Test
    void sigintMidRoundStopsCleanlyAndResumeEndsBitwiseAsAnUninterruptedRun() throws Exception {
        Path whole = tmp.resolve("whole");
        try (ChildCli child = ChildCli.start(tmp.resolve("logs"), "whole", train(whole))) {
            assertEquals(0, child.waitFor(LIMIT_SEC), child.err());
        }
        Path cut = tmp.resolve("cut");
        try (ChildCli child = signalledAfterRound(cut, "cut", 3, "INT")) {
            assertCleanStop(child, 130, cut);
        }
        try (ChildCli resumed = ChildCli.start(tmp.resolve("logs"), "resumed", "train", "--resume", cut.toString())) {
            assertEquals(0, resumed.waitFor(LIMIT_SEC), resumed.err());
        }
        assertArrayEquals(params(whole), params(cut));
    }

    @Test
    void sigtermStopsWith143AndASecondSignalEndsTheProcessAtOnce() throws Exception {
        Path out = tmp.resolve("term");
        try (ChildCli child = signalledAfterRound(out, "term", 3, "TERM")) {
            assertCleanStop(child, 143, out);
        }
        Path twice = tmp.resolve("twice");
        try (ChildCli child = signalledAfterRound(twice, "twice", 3, "INT")) {
            child.signal("INT");
            long t0 = System.nanoTime();
            assertEquals(130, child.waitFor(LIMIT_SEC), child.err());
            assertTrue((System.nanoTime() - t0) / 1e9 < 5, "the second signal did not end it at once");
            assertTrue(Checkpoint.read(new LocalFileStore(twice)).nextRound() > 0, "the checkpoint is unreadable");
        }
    }
}
