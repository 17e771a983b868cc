package org.syncbn.cli;

import org.syncbn.train.StopRequest;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SIGINT and SIGTERM while {@code syncbn train} runs. The first one asks the run to stop at its next
 * step boundary ({@link StopRequest}, exit code 128 + the signal's number: 130, 143) and runs
 * {@code onFirst} (cancelling the Spark jobs, so the tasks end between two steps); a second one ends
 * the JVM at once with its own code. Without this the JVM's default handler starts the shutdown
 * hooks: Spark stops its context under the running round, which fails, is retried and dies with a
 * stack trace.
 *
 * <p>{@code sun.misc.Signal} (module jdk.unsupported, exported) is the JDK's only way to handle a
 * signal without the JVM going down. The previous handlers are put back by {@link #close}.
 */
final class SignalStop implements AutoCloseable {
    private static final Map<String, Integer> SIGNALS = Map.of("INT", 2, "TERM", 15);

    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();

    private SignalStop() {
    }

    /** Handles SIGINT and SIGTERM until closed (a signal the JVM reserves, e.g. under -Xrs, is left alone). */
    static SignalStop install(StopRequest stop, Runnable onFirst) {
        SignalStop installed = new SignalStop();
        for (Map.Entry<String, Integer> s : SIGNALS.entrySet()) {
            int code = 128 + s.getValue();
            Signal signal = new Signal(s.getKey());
            SignalHandler handler = sig -> {
                if (stop.request(code)) {
                    onFirst.run();
                } else {
                    // the second signal: the user means it; files are replaced atomically, so none is half-written
                    Runtime.getRuntime().halt(code);
                }
            };
            try {
                installed.previous.put(signal, Signal.handle(signal, handler));
            } catch (IllegalArgumentException reserved) {
                // the JVM keeps this signal to itself: its default stays
            }
        }
        return installed;
    }

    @Override
    public void close() {
        previous.forEach(Signal::handle);
    }
}
