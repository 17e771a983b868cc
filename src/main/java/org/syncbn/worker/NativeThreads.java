package org.syncbn.worker;

import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.natives.NativeBuildChoice;

/**
 * ND4J's native thread count (its own OpenMP pool and OpenBLAS), set from Java so that an
 * embedded local[W] run gives each of its W workers cores/W threads without relaunching the JVM.
 * Oversubscribed threads cost 1.6-1.8x on the seed MLP (docs/ARCHITECTURE.md, "Facts about the dependency stack").
 */
public final class NativeThreads {
    private NativeThreads() {
    }

    /** Threads per worker when W workers share {@code cores} cores: max(1, cores / W). */
    public static int perWorker(int cores, int workers) {
        return Math.max(1, cores / Math.max(1, workers));
    }

    /**
     * Applies {@code threads} to ND4J's pool and BLAS for this JVM. On an executor this is the
     * first ND4J call of a task, so it first lets the JVM choose its native build (no effect
     * where ND4J is loaded already).
     */
    public static void apply(int threads) {
        NativeBuildChoice.applyToThisJvm();
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }
}
