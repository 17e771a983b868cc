package org.syncbn.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.LocalFileStore;
import org.syncbn.testing.TestSpark;
import org.syncbn.worker.WorkerResult;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A step or a merge that turns non-finite stops the run there; what the last good round wrote stays. */
class DivergenceTest {
    @TempDir
    Path tmp;

    private static JobSpec spec() {
        return JobSpecLoader.load(null, List.of("data.dir=\"" + TestSpark.fashionMnistDir() + "\"",
                "data.maxTrainExamples=768", "data.maxTestExamples=200", "bn.mode=sync", "train.workers=2",
                "train.batchPerWorker=32", "train.epochs=1", "train.stepsPerRound=3", "model.hidden=[32,16]",
                "checkpoint.everyRounds=1", "train.threadsPerWorker=1"));
    }

    @Test
    void aStepWhoseGradientsTurnNaNStopsTheRunAtTheNextStepAndTheLastGoodCheckpointStays() throws Exception {
        JobSpec spec = spec();
        Path out = tmp.resolve("run");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        // round 2 (0-based), worker 1: its fourth all-reduce is the second step's first backward sum
        TrainingRun run = TrainingRun.of(TestSpark.context(), spec).writingTo(out.toString())
                .progress(new PrintStream(log, true, StandardCharsets.UTF_8))
                .joiningThrough(join -> new PoisonedSums.Join(join, new PoisonedSums(2, 1, 2)));
        DivergedException e = assertThrows(DivergedException.class, run::run);
        // rounds 0 and 1 took 3 steps each; the NaN gradients of the round's second step (global step
        // 8) make its parameters NaN, and the loss of the next step, 9, shows it
        assertEquals("diverged at round 3, step 9 (train loss NaN): lower optim.lr or check the data", e.getMessage());

        LocalFileStore store = new LocalFileStore(out);
        assertEquals(2, Checkpoint.read(store).nextRound(), "the checkpoint of the last good round stays");
        for (double p : Checkpoint.network(store).params()) {
            assertTrue(Double.isFinite(p));
        }
        assertFalse(Files.exists(out.resolve("model.zip")));
        assertFalse(log.toString(StandardCharsets.UTF_8).contains("round 3/"), "the diverged round reported as done");
    }

    @Test
    void aRoundsLastUpdateTurningNaNIsFoundInTheParametersBeforeTheRoundIsKept() {
        Path out = tmp.resolve("last");
        // the sum of index 4 is the first backward of the round's third and last step
        TrainingRun run = TrainingRun.of(TestSpark.context(), spec()).writingTo(out.toString())
                .joiningThrough(join -> new PoisonedSums.Join(join, new PoisonedSums(2, 1, 4)));
        DivergedException e = assertThrows(DivergedException.class, run::run);
        assertTrue(e.getMessage().startsWith("diverged at round 3, step 9 (train loss "), e.getMessage());
        assertTrue(e.getMessage().endsWith(", non-finite parameters): lower optim.lr or check the data"), e.getMessage());
        assertEquals(2, Checkpoint.read(new LocalFileStore(out)).nextRound());
    }

    @Test
    void theDriverNamesTheFirstBadStepOfAnyWorkerAndAMergeThatOverflows() {
        double[] ok = {1, 2};
        double[] none = new double[0];
        // worker 0's loss went NaN at its 5th step, worker 1's parameters at its 3rd: the 3rd is first
        List<WorkerResult> workers = List.of(new WorkerResult(0, ok, none, 320, Double.NaN, 5, true, 1, 1, 0),
                new WorkerResult(1, none, none, 192, 6.0, 3, false, 1, 1, 0));
        DivergedException e = assertThrows(DivergedException.class, () -> Divergence.check(4, 40, workers));
        assertEquals("diverged at round 5, step 43 (train loss 0.0313, non-finite parameters): lower optim.lr or check"
                + " the data", e.getMessage());
        DivergedException loss = assertThrows(DivergedException.class,
                () -> Divergence.check(4, 40, workers.subList(0, 1)));
        assertEquals("diverged at round 5, step 45 (train loss NaN): lower optim.lr or check the data", loss.getMessage());

        // every worker finite, the merged state rank 0 carries is not
        List<WorkerResult> overflow = List.of(
                new WorkerResult(0, new double[] {1, Double.POSITIVE_INFINITY}, none, 64, 64, 2, true, 1, 1, 0),
                new WorkerResult(1, none, none, 64, 64, 2, true, 1, 1, 0));
        assertEquals("diverged at round 1, step 2 (train loss 1.0000, non-finite merged parameters): lower optim.lr or"
                        + " check the data",
                assertThrows(DivergedException.class, () -> Divergence.check(0, 0, overflow)).getMessage());
        Divergence.check(0, 0, List.of(new WorkerResult(0, ok, none, 64, 64, 2, true, 1, 1, 0),
                new WorkerResult(1, none, none, 64, 64, 2, true, 1, 1, 0)));   // all finite: nothing to say
    }
}
