package org.syncbn.train;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A request, from another thread (a signal handler), that a run stop at its next step boundary. The
 * run checks it between rounds and before it would re-run a failed round; whoever makes the request
 * also cancels the run's Spark jobs, whose tasks then end between two steps
 * ({@code worker/StepWatch}). The first request wins; its exit code is the one the run ends with.
 */
public final class StopRequest {
    private final AtomicInteger exitCode = new AtomicInteger();   // 0: not requested

    /** Asks the run to stop, ending with {@code code} (> 0); true for the first request only. */
    public boolean request(int code) {
        if (code <= 0) {
            throw new IllegalArgumentException("an exit code for a stopped run is > 0, got " + code);
        }
        return exitCode.compareAndSet(0, code);
    }

    public boolean requested() {
        return exitCode.get() != 0;
    }

    /** The first request's exit code, 0 when none was made. */
    public int exitCode() {
        return exitCode.get();
    }
}
