package org.syncbn.collective;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What a listener refused, counted by kind and logged at most once per kind per interval (with the
 * number left out since), so a flood of strangers costs one log line every few seconds, not one
 * per connection. Kinds come from a fixed set in the code, so the table stays small.
 */
final class RefusalLog {
    static final long DEFAULT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String where;
    private final Consumer<String> sink;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final Map<String, Kind> kinds = new LinkedHashMap<>();   // guarded by this

    private static final class Kind {
        long count;
        long suppressed;
        long loggedAt;
        boolean logged;
        String last;
    }

    RefusalLog(String where, Consumer<String> sink, long intervalNanos, LongSupplier clock) {
        this.where = where;
        this.sink = sink;
        this.intervalNanos = intervalNanos;
        this.clock = clock;
    }

    /** Logs through slf4j at WARN. */
    static RefusalLog toSlf4j(String where) {
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RefusalLog.class);
        return new RefusalLog(where, log::warn, DEFAULT_INTERVAL_NANOS, System::nanoTime);
    }

    void refused(String kind, String remote, String detail) {
        String line;
        synchronized (this) {
            Kind k = kinds.computeIfAbsent(kind, x -> new Kind());
            k.count++;
            k.last = remote + ": " + detail;
            long now = clock.getAsLong();
            if (k.logged && now - k.loggedAt < intervalNanos) {
                k.suppressed++;
                return;
            }
            line = where + ": refused a connection from " + k.last
                    + (k.suppressed > 0 ? " (and " + k.suppressed + " more of this kind since the last report)" : "");
            k.logged = true;
            k.loggedAt = now;
            k.suppressed = 0;
        }
        sink.accept(line);
    }

    synchronized long count(String kind) {
        Kind k = kinds.get(kind);
        return k == null ? 0 : k.count;
    }

    synchronized long total() {
        return kinds.values().stream().mapToLong(k -> k.count).sum();
    }

    /** "" when nothing was refused, else e.g. " (refused 2 connections: 2 protocol version, last from ...)". */
    synchronized String summary() {
        if (kinds.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder(" (refused ").append(total()).append(total() == 1 ? " connection: " : " connections: ");
        String sep = "";
        for (Map.Entry<String, Kind> e : kinds.entrySet()) {
            sb.append(sep).append(e.getValue().count).append(' ').append(e.getKey()).append(", last ").append(e.getValue().last);
            sep = "; ";
        }
        return sb.append(')').toString();
    }
}
