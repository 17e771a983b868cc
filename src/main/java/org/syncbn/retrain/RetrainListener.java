package org.syncbn.retrain;

/** Driver-side hook into a retrain (tests inject crashes with it). */
@FunctionalInterface
public interface RetrainListener {
    RetrainListener NONE = version -> { };

    /** The candidate version is stored and complete; CURRENT has not been touched yet. */
    void candidateStored(int version);
}
