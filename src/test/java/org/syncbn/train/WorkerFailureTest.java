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

    private TrainingJob.Outcome run(JobSpec spec, String name, FaultInjection fault, ByteArrayOutputStream log) {
        return TrainingJob.run(TestSpark.context(), new TrainingJob.Options(spec, tmp.resolve(name), false,
                new PrintStream(log, true, StandardCharsets.UTF_8), null, fault));
    }

    @Test
    void aWorkerWhoseSocketsDieMidStepMakesTheRoundRunAgainAndNothingIsLost() {
        TrainingJob.Outcome clean = run(spec(), "clean", null, new ByteArrayOutputStream());
        long t0 = System.nanoTime();
        TrainingJob.Outcome faulty = run(spec(), "faulty", new FaultInjection(1, 1, 1), new ByteArrayOutputStream());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertArrayEquals(clean.finalParams(), faulty.finalParams(), 0.0);
        assertTrue(seconds < TIMEOUT_SEC, "the peers of the dead worker should fail at once, took " + seconds + " s");
    }

    @Test
    void aRoundThatKeepsFailingEndsTheJobWithTheCollectiveError() {
        Exception e = assertThrows(Exception.class, () -> run(spec("train.roundAttempts=1"), "fatal",
                new FaultInjection(0, 0, 0), new ByteArrayOutputStream()));
        String chain = "";
        for (Throwable t = e; t != null; t = t.getCause()) {
            chain += t + "\n";
        }
        assertTrue(chain.contains("closed"), chain);
    }
}
