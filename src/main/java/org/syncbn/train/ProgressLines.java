package org.syncbn.train;

import java.io.PrintStream;
import java.util.Locale;

/** One progress line per round: loss, throughput, the share of time in the steps, and the ETA. */
final class ProgressLines implements RoundListener {
    private final PrintStream out;
    private final int epochs;
    private final int endRound;
    private int rounds;
    private double seconds;

    ProgressLines(PrintStream out, int epochs, int endRound) {
        this.out = out;
        this.epochs = epochs;
        this.endRound = endRound;
    }

    @Override
    public void onRound(RoundReport r, TrainingState state) {
        rounds++;
        seconds += r.seconds();
        double eta = seconds / rounds * (endRound - r.round() - 1);
        out.printf(Locale.ROOT, "round %d/%d  epoch %d/%d  train loss %.4f  %.0f samples/s  (steps %.0f%%)  ETA %s%n",
                r.round() + 1, endRound, r.epoch() + 1, epochs, r.meanLoss(),
                r.samples() / r.seconds(), 100 * r.stepSeconds() / r.seconds(), hms(eta));
    }

    static String hms(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
