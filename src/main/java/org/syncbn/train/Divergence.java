package org.syncbn.train;

import org.syncbn.worker.WorkerResult;

import java.util.List;

/**
 * The driver's check after each round's merge, before anything of the round is kept: a worker whose
 * step's loss went non-finite stopped stepping there (its last step is the bad one,
 * {@code worker/StepWatch}); a worker whose parameters or updater state went non-finite without the
 * loss (the round's last update) says so in its result; a merge of finite values can still overflow,
 * which shows in the merged state rank 0 carries. Any of these stops the run with {@link DivergedException}.
 */
final class Divergence {
    private Divergence() {
    }

    /**
     * @param round            the 0-based round
     * @param iterationsBefore optimizer steps before the round
     * @param results          the workers' results, rank 0's carrying the merged state
     * @throws DivergedException naming the first bad step
     */
    static void check(int round, int iterationsBefore, List<WorkerResult> results) {
        long firstBad = Long.MAX_VALUE;
        double loss = Double.NaN;
        for (WorkerResult w : results) {
            double workerLoss = w.samples() == 0 ? 0 : w.lossSum() / w.samples();
            long step = (long) iterationsBefore + w.steps();
            if ((!Double.isFinite(workerLoss) || !w.stateFinite()) && step < firstBad) {
                firstBad = step;
                loss = workerLoss;
            }
        }
        if (firstBad != Long.MAX_VALUE) {
            throw DivergedException.at(round, firstBad, loss, "parameters");
        }
        WorkerResult merged = results.get(0);
        if (!(finite(merged.params()) && finite(merged.updater()))) {
            // every worker finite, their average is not: an overflow in the merge
            long samples = 0;
            double lossSum = 0;
            int steps = 0;
            for (WorkerResult w : results) {
                samples += w.samples();
                lossSum += w.lossSum();
                steps = Math.max(steps, w.steps());
            }
            throw DivergedException.at(round, (long) iterationsBefore + steps, samples == 0 ? Double.NaN : lossSum / samples,
                    "merged parameters");
        }
    }

    private static boolean finite(double[] values) {
        for (double v : values) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
