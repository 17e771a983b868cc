package org.syncbn.model;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Arrays;
import java.util.Objects;

/**
 * The learning rate per optimizer step (DL4J calls {@link #valueAt} with the global iteration t,
 * counted from 0 over the whole run, which every worker sets before each step):
 *
 * <pre>
 *   peak   = lr · k,  k = 1 (none) | B / B₀ (linear) | √(B / B₀) (sqrt)     B = W · b, B₀ = optim.baseBatch
 *   t &lt; Tw : lr_t = lr + (peak − lr) · t / Tw                              gradual warmup (Goyal et al. 2017)
 *   t ≥ Tw : lr_t = peak                                                 decay none
 *            lr_t = peak · γ^(number of boundaries e with t ≥ e · S)     decay step (γ = optim.decayFactor)
 *            lr_t = peak · ½ (1 + cos(π (t − Tw) / (T − Tw)))             decay cosine, to 0 at the end
 * </pre>
 *
 * with S steps per epoch, Tw = round(warmupEpochs · S) and T = epochs · S. Warmup starts from the
 * unscaled rate, as in Goyal et al.; without scaling (k = 1) it is flat.
 */
public final class LearningRateSchedule implements ISchedule {
    private final double baseLr;
    private final double peakLr;
    private final int warmupSteps;
    private final int totalSteps;
    private final int stepsPerEpoch;
    private final String decay;
    private final double decayFactor;
    private final double[] decayEpochs;

    @JsonCreator
    public LearningRateSchedule(@JsonProperty("baseLr") double baseLr, @JsonProperty("peakLr") double peakLr,
                                @JsonProperty("warmupSteps") int warmupSteps, @JsonProperty("totalSteps") int totalSteps,
                                @JsonProperty("stepsPerEpoch") int stepsPerEpoch, @JsonProperty("decay") String decay,
                                @JsonProperty("decayFactor") double decayFactor,
                                @JsonProperty("decayEpochs") double[] decayEpochs) {
        this.baseLr = baseLr;
        this.peakLr = peakLr;
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
        this.stepsPerEpoch = stepsPerEpoch;
        this.decay = Objects.requireNonNull(decay, "decay");
        this.decayFactor = decayFactor;
        this.decayEpochs = decayEpochs == null ? new double[0] : decayEpochs.clone();
    }

    /** The scaling factor k of a rule for global batch B and reference batch B₀. */
    public static double scaling(String rule, int globalBatch, int baseBatch) {
        double ratio = (double) globalBatch / baseBatch;
        return switch (rule) {
            case "none" -> 1;
            case "linear" -> ratio;
            case "sqrt" -> Math.sqrt(ratio);
            default -> throw new IllegalArgumentException("unknown lr scaling rule " + rule);
        };
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        if (iteration < warmupSteps) {
            return baseLr + (peakLr - baseLr) * iteration / warmupSteps;
        }
        return switch (decay) {
            case "none" -> peakLr;
            case "step" -> {
                double lr = peakLr;
                for (double e : decayEpochs) {
                    if (iteration >= Math.round(e * stepsPerEpoch)) {
                        lr *= decayFactor;
                    }
                }
                yield lr;
            }
            case "cosine" -> {
                int span = Math.max(1, totalSteps - warmupSteps);
                double progress = Math.min(1.0, (double) (iteration - warmupSteps) / span);
                yield peakLr * 0.5 * (1 + Math.cos(Math.PI * progress));
            }
            default -> throw new IllegalStateException("unknown decay " + decay);
        };
    }

    @Override
    public ISchedule clone() {
        return new LearningRateSchedule(baseLr, peakLr, warmupSteps, totalSteps, stepsPerEpoch, decay, decayFactor,
                decayEpochs);
    }

    @JsonProperty("baseLr")
    public double baseLr() {
        return baseLr;
    }

    @JsonProperty("peakLr")
    public double peakLr() {
        return peakLr;
    }

    @JsonProperty("warmupSteps")
    public int warmupSteps() {
        return warmupSteps;
    }

    @JsonProperty("totalSteps")
    public int totalSteps() {
        return totalSteps;
    }

    @JsonProperty("stepsPerEpoch")
    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    @JsonProperty("decay")
    public String decay() {
        return decay;
    }

    @JsonProperty("decayFactor")
    public double decayFactor() {
        return decayFactor;
    }

    @JsonProperty("decayEpochs")
    public double[] decayEpochs() {
        return decayEpochs.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LearningRateSchedule s && baseLr == s.baseLr && peakLr == s.peakLr
                && warmupSteps == s.warmupSteps && totalSteps == s.totalSteps && stepsPerEpoch == s.stepsPerEpoch
                && decay.equals(s.decay) && decayFactor == s.decayFactor && Arrays.equals(decayEpochs, s.decayEpochs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(baseLr, peakLr, warmupSteps, totalSteps, stepsPerEpoch, decay, decayFactor,
                Arrays.hashCode(decayEpochs));
    }

    @Override
    public String toString() {
        return "LearningRateSchedule(base " + baseLr + ", peak " + peakLr + ", warmup " + warmupSteps + " of "
                + totalSteps + " steps, decay " + decay + ")";
    }
}
