package org.syncbn.train;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.testing.TestSpark;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * train.sync = gradients is SGD on the global batch, exactly, for any K and updater: W workers (uneven
 * shards, workers without examples in the last step) with sync BN end with the parameters and updater
 * state of ONE network with DL4J's own BatchNormalization on the concatenated batch, over several
 * rounds of K = 10 steps. Parameter averaging at the same K does not (local SGD). Whatever W is, the
 * driver receives one merged copy of the state per round.
 */
class GradientSyncTest {

    private static TrainingRun.Result run(String... sets) {
        List<String> all = new ArrayList<>(List.of("data.dir=\"" + TestSpark.fashionMnistDir() + "\"",
                "data.shuffle=false", "dtype=double", "model.hidden=[24,12]", "train.epochs=2",
                "train.stepsPerRound=10", "data.maxTestExamples=50", "train.threadsPerWorker=1"));
        all.addAll(List.of(sets));
        JobSpec spec = JobSpecLoader.load(null, all);
        return TrainingRun.of(TestSpark.context(), spec).run();
    }

    private static double maxDiff(double[] a, double[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @ParameterizedTest(name = "{0}, W={1} x {2}, {3} examples")
    @CsvSource({
            "adam, 2, 32, 640",        // even shards
            "nesterovs, 3, 30, 250",   // uneven: the last step has 24/23/23 examples
            "adam, 4, 20, 650"})       // the last step gives 10 to two workers and none to two others
    void gradientAllReduceEqualsDl4jsBatchNormOnTheGlobalBatch(String updater, int workers, int batch, int examples) {
        String[] common = {"optim.updater=" + updater, "optim.lr=0.01", "data.maxTrainExamples=" + examples};
        TrainingRun.Result one = run(concat(common, "bn.mode=local", "train.workers=1",
                "train.batchPerWorker=" + workers * batch));
        TrainingRun.Result many = run(concat(common, "bn.mode=sync", "train.sync=gradients", "train.workers=" + workers,
                "train.batchPerWorker=" + batch));
        assertTrue(one.rounds() >= 2, "several rounds: " + one.rounds());
        double dp = maxDiff(one.network().params(), many.network().params());
        double du = maxDiff(one.network().updaterState(), many.network().updaterState());
        assertTrue(dp <= 1e-9, "parameters: max abs difference " + dp);
        assertTrue(du <= 1e-9, "updater state: max abs difference " + du);

        TrainingRun.Result averaged = run(concat(common, "bn.mode=sync", "train.workers=" + workers,
                "train.batchPerWorker=" + batch));
        double da = maxDiff(one.network().params(), averaged.network().params());
        assertTrue(da > 1e-6, "parameter averaging every 10 steps is local SGD, not the global batch's: " + da);
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The bytes of task results the driver receives in a run (Spark's own accounting of each task). */
    private static long resultBytes(String... sets) throws java.util.concurrent.TimeoutException {
        AtomicLong bytes = new AtomicLong();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.taskMetrics() != null && end.taskInfo().successful() && end.stageAttemptId() >= 0
                        && end.taskType().contains("ResultTask")) {
                    bytes.addAndGet(end.taskMetrics().resultSize());
                }
            }
        };
        TestSpark.context().sc().addSparkListener(listener);
        try {
            run(sets);
            TestSpark.context().sc().listenerBus().waitUntilEmpty();
        } finally {
            TestSpark.context().sc().removeSparkListener(listener);
        }
        return bytes.get();
    }

    @Test
    void theDriverReceivesOneMergedStatePerRoundWhateverTheNumberOfWorkers() throws Exception {
        // the same global batch of 64, so both runs take 10 steps in 2 rounds
        String[] common = {"data.maxTrainExamples=640", "train.epochs=1", "bn.mode=sync", "model.hidden=[256,128]",
                "train.stepsPerRound=5"};
        long two = resultBytes(concat(common, "train.workers=2", "train.batchPerWorker=32"));
        long four = resultBytes(concat(common, "train.workers=4", "train.batchPerWorker=16"));
        // 784x256 + 256x128 + ... parameters and Adam's two moments, in double: ~5.6 MB a copy
        assertTrue(two > 2 * 5_000_000L, "a copy of the state per round reaches the driver: " + two);
        assertTrue(two < 2 * 2 * 5_700_000L, "but not one per worker: " + two);
        double ratio = (double) four / two;
        assertTrue(ratio < 1.05, "driver bytes W=4 / W=2 = " + ratio + " (" + four + " / " + two + ")");
    }
}
