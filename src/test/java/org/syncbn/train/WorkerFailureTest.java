package org.syncbn.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.testing.TestSpark;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker whose sockets die in the middle of a SyncBN step: its peers fail within the collective
 * timeout instead of hanging, the round's barrier stage fails, and the round runs again from the
 * driver's untouched state, so the job ends exactly where an undisturbed run does.
 */
class WorkerFailureTest {
    private static final int TIMEOUT_SEC = 20;
    /** model.hidden = [32, 16]: two BN layers, one all-gather forward and one all-reduce backward each. */
    private static final int OPS_PER_STEP = 4;

    @TempDir
    Path tmp;

    private static JobSpec spec(String... extra) {
        List<String> sets = new java.util.ArrayList<>(List.of("data.dir=\"" + TestSpark.fashionMnistDir() + "\"",
                "data.maxTrainExamples=768", "data.maxTestExamples=200", "bn.mode=sync", "train.workers=3",
                "train.batchPerWorker=32", "train.epochs=1", "train.stepsPerRound=2", "model.hidden=[32,16]",
                "collective.timeoutSec=" + TIMEOUT_SEC));
        sets.addAll(List.of(extra));
        return JobSpecLoader.load(null, sets);
    }

    private TrainingRun.Result run(JobSpec spec, String name, DyingWorker fault, ByteArrayOutputStream log) {
        TrainingRun run = TrainingRun.of(TestSpark.context(), spec).writingTo(tmp.resolve(name).toString())
                .progress(new PrintStream(log, true, StandardCharsets.UTF_8));
        if (fault != null) {
            run.joiningThrough(join -> new DyingWorker.Join(join, fault));
        }
        return run.run();
    }

    @Test
    void aWorkerWhoseSocketsDieMidStepMakesTheRoundRunAgainAndNothingIsLost() {
        TrainingRun.Result clean = run(spec(), "clean", null, new ByteArrayOutputStream());
        long t0 = System.nanoTime();
        TrainingRun.Result faulty = run(spec(), "faulty", new DyingWorker(1, 1, OPS_PER_STEP), new ByteArrayOutputStream());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertArrayEquals(clean.finalParams(), faulty.finalParams(), 0.0);
        assertTrue(seconds < TIMEOUT_SEC, "the peers of the dead worker should fail at once, took " + seconds + " s");
    }

    @Test
    void aRoundThatKeepsFailingEndsTheJobWithTheCollectiveError() {
        Exception e = assertThrows(Exception.class, () -> run(spec("train.roundAttempts=1"), "fatal",
                new DyingWorker(0, 0, 0), new ByteArrayOutputStream()));
        String chain = "";
        for (Throwable t = e; t != null; t = t.getCause()) {
            chain += t + "\n";
        }
        assertTrue(chain.contains("closed"), chain);
    }
}
