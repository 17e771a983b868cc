package org.syncbn.train;

import org.syncbn.worker.WorkerResult;

import java.util.List;

/**
 * The driver's check after each round's merge, before anything of the round is kept: a worker whose
 * step's loss went non-finite stopped stepping there (its last step is the bad one,
 * {@code worker/StepWatch}); parameters that went non-finite without the loss (the round's last
 * update) show in the merge, and then in the worker's own; a merge of finite values can still
 * overflow. Any of these stops the run with {@link DivergedException}.
 */
final class Divergence {
    private Divergence() {
    }

    /**
     * @param round            the 0-based round
     * @param iterationsBefore optimizer steps before the round
     * @param results          the workers' results
     * @param merged           the merged state
     * @throws DivergedException naming the first bad step
     */
    static void check(int round, int iterationsBefore, List<WorkerResult> results, TrainingState.Flat merged) {
        long firstBad = Long.MAX_VALUE;
        double loss = Double.NaN;
        boolean mergedFinite = finite(merged.params()) && finite(merged.updater());
        for (WorkerResult w : results) {
            double workerLoss = w.samples() == 0 ? 0 : w.lossSum() / w.samples();
            // the parameters of a worker are scanned only when the merge shows something is wrong
            boolean bad = !Double.isFinite(workerLoss) || !mergedFinite && !(finite(w.params()) && finite(w.updater()));
            long step = (long) iterationsBefore + w.steps();
            if (bad && step < firstBad) {
                firstBad = step;
                loss = workerLoss;
            }
        }
        if (firstBad != Long.MAX_VALUE) {
            throw DivergedException.at(round, firstBad, loss, "parameters");
        }
        if (!mergedFinite) {   // every worker finite, their average is not: an overflow in the merge
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
