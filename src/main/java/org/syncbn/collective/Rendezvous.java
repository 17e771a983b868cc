package org.syncbn.collective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The meeting point of one in-process group: a slots array and a generation counter. Exchange
 * number {@code n} completes when all members have filled their slot; the last to arrive
 * publishes the slots and wakes the others. A published generation stays readable until the next
 * one completes, which needs every member to arrive again, so no member can miss its result.
 * A failure (timeout, closed member, diverging operations) poisons the group for good.
 */
final class Rendezvous {
    private final int offset;
    private final int size;
    private final boolean whole;
    private final Duration timeout;
    private final long timeoutNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition advanced = lock.newCondition();

    // guarded by lock
    private Object[] slots;
    private final Op[] ops;
    private int arrived;
    private long completed;
    private Object[] published;
    private String failure;

    Rendezvous(int offset, int size, boolean whole, Duration timeout) {
        this.offset = offset;
        this.size = size;
        this.whole = whole;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.slots = new Object[size];
        this.ops = new Op[size];
    }

    /** The name messages use for a member: global ranks, plus the group when it is a subgroup. */
    String who(int localRank) {
        return "rank " + (offset + localRank) + (whole ? "" : " in group " + range());
    }

    String range() {
        return "[" + offset + ", " + (offset + size) + ")";
    }

    boolean contains(int globalRank) {
        return globalRank >= offset && globalRank < offset + size;
    }

    /** The exchange's sequence number and every member's array (shared: callers must not modify). */
    record Result(long seq, Object[] parts) {
    }

    Result exchange(int localRank, Op op, Object data) {
        long deadline = System.nanoTime() + timeoutNanos;
        String who = who(localRank);
        lock.lock();
        try {
            long seq = completed + 1;
            if (failure != null) {
                throw new CollectiveException(who + ": " + op + " #" + seq + " cannot run: " + failure);
            }
            slots[localRank] = op.type.copyOf(data);
            ops[localRank] = op;
            arrived++;
            if (arrived == size) {
                publish(seq);
            }
            while (completed < seq && failure == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    String reason = who + ": " + op + " #" + seq + " timed out after " + RankOrder.describe(timeout)
                            + " waiting for " + absentees();
                    fail(reason);
                    throw new CollectiveException(reason);
                }
                try {
                    advanced.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    String reason = who + ": " + op + " #" + seq + " was interrupted";
                    fail(reason);
                    throw new CollectiveException(reason, e);
                }
            }
            if (completed < seq) {
                throw new CollectiveException(who + ": " + op + " #" + seq + " failed: " + failure);
            }
            return new Result(seq, published);
        } finally {
            lock.unlock();
        }
    }

    /** Poisons the group (first reason wins) and wakes every waiting member. */
    void fail(String reason) {
        lock.lock();
        try {
            if (failure == null) {
                failure = reason;
            }
            advanced.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void publish(long seq) {
        for (int r = 1; r < size; r++) {
            if (ops[r] != ops[0]) {
                StringBuilder sb = new StringBuilder("members called different operations as #" + seq + " of group "
                        + range() + ":");
                for (int q = 0; q < size; q++) {
                    sb.append(q == 0 ? " " : ", ").append("rank ").append(offset + q).append(' ').append(ops[q]);
                }
                fail(sb.toString());
                return;
            }
        }
        published = slots;
        slots = new Object[size];
        arrived = 0;
        completed = seq;
        advanced.signalAll();
    }

    private String absentees() {
        List<Integer> missing = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            if (slots[r] == null) {
                missing.add(offset + r);
            }
        }
        if (missing.size() == 1) {
            return "rank " + missing.get(0);
        }
        return "ranks " + missing.toString().replaceAll("[\\[\\]]", "");
    }
}
