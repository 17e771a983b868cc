package org.syncbn.train;

/**
 * What happened in one round.
 *
 * @param round       global round index
 * @param epoch       its epoch
 * @param endsEpoch   whether the round finished the epoch
 * @param samples     training examples processed by all workers
 * @param meanLoss    sample-weighted mean training loss over the round's steps
 * @param seconds     wall time of the round (broadcast, barrier stage, collect, merge)
 * @param stepSeconds the slowest worker's time in its optimizer steps; the rest of
 *                    {@code seconds} is the round's overhead (stage launch, state transfer, merge)
 * @param overhead    where that overhead went
 */
public record RoundReport(int round, int epoch, boolean endsEpoch, long samples, double meanLoss, double seconds,
                          double stepSeconds, Overhead overhead) {

    /**
     * A round's time outside the optimizer steps, in seconds.
     *
     * @param broadcast     creating the broadcast of the round state on the driver
     * @param taskSetup     in the slowest task, everything but its steps: fetching and loading the
     *                      state, reading its shard when not cached, meeting its peers
     * @param launchCollect the barrier stage's wall time minus the slowest task: scheduling and
     *                      launching tasks, serialising results and bringing them to the driver
     * @param merge         the slowest worker's round-end merge among the workers (params, updater state, BN statistics)
     */
    public record Overhead(double broadcast, double taskSetup, double launchCollect, double merge) {
        public static final Overhead NONE = new Overhead(0, 0, 0, 0);

        public Overhead plus(Overhead o) {
            return new Overhead(broadcast + o.broadcast, taskSetup + o.taskSetup, launchCollect + o.launchCollect,
                    merge + o.merge);
        }
    }
}
