package org.syncbn.experiment;

import java.util.List;
import java.util.Map;

/**
 * One finished cell of a sweep: what it was and what it reached.
 *
 * @param cell             0-based index in the sweep
 * @param key              the cell's assignment, e.g. {@code train.workers=4,bn.mode=sync}
 * @param assignment       axis key → value
 * @param preset           the sweep preset it ran under
 * @param sgdBatch         global batch of one optimizer step: workers × batch per worker
 * @param normBatch        examples whose statistics one BN normalisation uses
 * @param epochs           epochs trained
 * @param steps            optimizer steps taken
 * @param finalAccuracy    test accuracy after the last epoch
 * @param bestAccuracy     best test accuracy over the evaluated epochs
 * @param finalLoss        test loss after the last epoch
 * @param bestLoss         lowest test loss over the evaluated epochs
 * @param preciseAccuracy  test accuracy after PreciseBN (bn.precise.examples), NaN when off
 * @param preciseExamples  training examples PreciseBN ran over, 0 when off
 * @param sync             train.sync of the cell ({@code parameters} for rows written before the key)
 * @param runningStats     bn.runningStats of the cell ({@code dl4j} for rows written before the key)
 * @param samplesPerSec    training examples per second of training time
 * @param trainSec         training time (rounds only, continued across resumes)
 * @param wallSec          wall time of the cell in the run that finished it
 * @param trainLossCurve   mean training loss per evaluated epoch
 * @param testAccuracyCurve test accuracy per evaluated epoch
 * @param spec             the cell's resolved job spec
 */
public record CellResult(int cell, String key, Map<String, String> assignment, String preset, int sgdBatch,
                         int normBatch, int epochs, long steps, double finalAccuracy, double bestAccuracy,
                         double finalLoss, double bestLoss, double preciseAccuracy, long preciseExamples,
                         String sync, String runningStats, double samplesPerSec, double trainSec, double wallSec,
                         List<Double> trainLossCurve, List<Double> testAccuracyCurve, String spec) {

    /** Rows of results.jsonl written before the keys existed trained with what was then the only rule. */
    public CellResult {
        sync = sync == null ? "parameters" : sync;
        runningStats = runningStats == null ? "dl4j" : runningStats;
    }

    /** The columns of results.csv after the axis columns. */
    static final List<String> CSV_COLUMNS = List.of("preset", "sgd_batch", "norm_batch", "epochs", "steps",
            "final_test_accuracy", "best_test_accuracy", "final_test_loss", "best_test_loss", "precise_test_accuracy",
            "precise_examples", "sync", "running_stats", "samples_per_sec", "train_sec", "wall_sec");

    List<Object> csvValues() {
        return List.of(preset, sgdBatch, normBatch, epochs, steps, finalAccuracy, bestAccuracy, finalLoss, bestLoss,
                preciseAccuracy, preciseExamples, sync, runningStats, samplesPerSec, trainSec, wallSec);
    }
}
