package org.syncbn.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.LocalFileStore;
import org.syncbn.testing.Cli;
import org.syncbn.testing.Snapshots;
import org.syncbn.testing.TestSpark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A learning rate that blows training up (optim.lr = 1e6) as the command line meets it. */
class DivergenceCommandTest {
    private static final Pattern DIVERGED = Pattern.compile("error: diverged at round (\\d+), step \\d+ \\(train loss"
            + " [^)]+\\): lower optim.lr or check the data");

    @TempDir
    Path tmp;

    private static String job(String name) {
        return Path.of(System.getProperty("syncbn.projectDir", "."), "jobs", name).toString();
    }

    /**
     * The one error line, last, after train's header and the progress of the rounds that went well; no
     * stack trace, no retry warning. Returns the round it names (1-based).
     */
    private static int assertDivergedLine(Cli.Result r) {
        assertEquals(1, r.code(), r.err());
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("syncbn train: job ")
                && !l.startsWith("round ") && !l.startsWith("epoch ")).toList();
        assertEquals(1, lines.size(), r.err());
        java.util.regex.Matcher m = DIVERGED.matcher(lines.get(0));
        assertTrue(m.matches(), lines.get(0));
        List<String> all = r.err().lines().toList();
        assertEquals(lines.get(0), all.get(all.size() - 1), "the error is not the last line");
        return Integer.parseInt(m.group(1));
    }

    @Test
    void aLearningRateOfAMillionStopsTrainingWithOneLineExitOneAndNoModel() {
        TestSpark.context();
        // parameter averaging with two updaters; gradient all-reduce, where the NaN reaches every worker in its step
        for (String[] c : new String[][] {{"sgd", "parameters"}, {"nesterovs", "parameters"}, {"sgd", "gradients"}}) {
            String updater = c[0];
            Path out = tmp.resolve(updater + "-" + c[1]);
            Cli.Result r = Cli.run("train", job("fashion-mlp.conf"), "--set", "data.dir=\"" + TestSpark.fashionMnistDir()
                    + "\"", "--set", "data.maxTrainExamples=1024", "--set", "data.maxTestExamples=200",
                    "--set", "optim.updater=" + updater, "--set", "optim.lr=1e6", "--set", "train.stepsPerRound=4",
                    "--set", "train.sync=" + c[1], "--set", "checkpoint.everyRounds=1", "--out", out.toString());
            int round = assertDivergedLine(r);
            assertFalse(Files.exists(out.resolve("model.zip")), updater + ": a NaN model was written");
            // the checkpoint of the last good round stays (every round is checkpointed here), none of the bad one
            if (round == 1) {
                assertFalse(Files.exists(out.resolve("checkpoint.zip")), updater + ": the diverged round was checkpointed");
            } else {
                assertEquals(round - 1, Checkpoint.read(new LocalFileStore(out)).nextRound(), updater + " " + c[1]);
            }
        }
    }

    @Test
    void aRetrainThatDivergesNeverPromotesAndCurrentStays() throws Exception {
        Snapshots.write(tmp.resolve("snapshots/2026-11-24"), 0, 2000);
        Snapshots.write(tmp.resolve("snapshots/2026-11-25"), 2000, 2000);
        TestSpark.context();
        List<String> base = new ArrayList<>(List.of("retrain", job("retrain-nightly.conf"),
                "--set", "retrain.registry=\"" + tmp.resolve("registry") + "\"",
                "--set", "retrain.snapshotRoot=\"" + tmp.resolve("snapshots") + "\"",
                "--set", "model.hidden=[32]", "--set", "train.batchPerWorker=32"));
        List<String> good = new ArrayList<>(base);
        good.addAll(List.of("--date", "2026-11-24"));
        Cli.Result first = Cli.run(good.toArray(String[]::new));
        assertEquals(0, first.code(), first.err());
        String current = Files.readString(tmp.resolve("registry/fashion-mlp/CURRENT"));

        List<String> blowUp = new ArrayList<>(base);
        blowUp.addAll(List.of("--date", "2026-11-25", "--set", "optim.updater=sgd", "--set", "optim.lr=1e6"));
        Cli.Result r = Cli.run(blowUp.toArray(String[]::new));
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().lines().anyMatch(l -> DIVERGED.matcher(l).matches()), r.err());
        assertEquals(current, Files.readString(tmp.resolve("registry/fashion-mlp/CURRENT")), "CURRENT moved");
        assertFalse(Files.exists(tmp.resolve("registry/fashion-mlp/v2/model.zip")), "a diverged model was stored");
    }
}
