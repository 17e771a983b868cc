package org.syncbn.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One line of metrics.jsonl: an epoch's training figures and its test-set evaluation.
 *
 * @param epoch                 epochs done (from 1)
 * @param round                 rounds done at the epoch's end (counted from 1, as the progress lines count)
 * @param trainLoss             sample-weighted mean training loss of the epoch's rounds in this run, or null
 * @param samplesPerSec         training samples per second of round time, or null
 * @param elapsedSec            training wall time so far, across resumes
 * @param roundOverheadFraction share of round time outside the workers' optimizer steps, or null
 * @param roundSec              mean seconds per round and its overhead split, or null without rounds
 */
public record EpochMetrics(
        @JsonProperty("epoch") int epoch,
        @JsonProperty("round") int round,
        @JsonProperty("train_loss") Double trainLoss,
        @JsonProperty("test_loss") double testLoss,
        @JsonProperty("test_accuracy") double testAccuracy,
        @JsonProperty("test_examples") long testExamples,
        @JsonProperty("samples_per_sec") Double samplesPerSec,
        @JsonProperty("elapsed_sec") double elapsedSec,
        @JsonProperty("round_overhead_fraction") Double roundOverheadFraction,
        @JsonProperty("eval_sec") double evalSec,
        @JsonProperty("round_sec") @JsonInclude(JsonInclude.Include.NON_NULL) RoundSeconds roundSec) {

    /** Mean seconds per round of an epoch, and where the time outside the steps went ({@link RoundReport.Overhead}). */
    public record RoundSeconds(
            @JsonProperty("broadcast") double broadcast,
            @JsonProperty("task_setup") double taskSetup,
            @JsonProperty("launch_collect") double launchCollect,
            @JsonProperty("merge") double merge,
            @JsonProperty("round") double round) {}
}
