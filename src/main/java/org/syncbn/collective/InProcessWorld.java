package org.syncbn.collective;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What the members of one {@link InProcessCollective} share: one {@link Rendezvous} per group of
 * consecutive ranks (created on first use), which members are closed, which are busy.
 */
final class InProcessWorld {
    final int size;
    final Duration timeout;
    private final Map<Long, Rendezvous> groups = new HashMap<>();   // guarded by this
    private final AtomicReferenceArray<String> closed;
    private final AtomicBoolean[] busy;

    InProcessWorld(int size, Duration timeout) {
        this.size = size;
        this.timeout = timeout;
        this.closed = new AtomicReferenceArray<>(size);
        this.busy = new AtomicBoolean[size];
        for (int r = 0; r < size; r++) {
            busy[r] = new AtomicBoolean();
        }
    }

    /** The rendezvous of ranks [offset, offset + groupSize); poisoned if one of them has closed already. */
    synchronized Rendezvous rendezvous(int offset, int groupSize) {
        return groups.computeIfAbsent(((long) offset << 32) | groupSize, k -> {
            Rendezvous r = new Rendezvous(offset, groupSize, groupSize == size, timeout);
            for (int m = offset; m < offset + groupSize; m++) {
                if (closed.get(m) != null) {
                    r.fail(closed.get(m));
                }
            }
            return r;
        });
    }

    boolean isClosed(int globalRank) {
        return closed.get(globalRank) != null;
    }

    /** Closes a member: every group it belongs to fails, so its peers stop waiting at once. */
    synchronized void close(int globalRank, String reason) {
        if (closed.compareAndSet(globalRank, null, reason)) {
            for (Rendezvous r : groups.values()) {
                if (r.contains(globalRank)) {
                    r.fail(reason);
                }
            }
        }
    }

    void enter(int globalRank, String who, Op op) {
        if (!busy[globalRank].compareAndSet(false, true)) {
            throw new IllegalStateException(who + ": " + op + " called while another operation of this member is"
                    + " running: a member must be used from one thread at a time");
        }
    }

    void exit(int globalRank) {
        busy[globalRank].set(false);
    }
}
