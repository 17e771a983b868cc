package org.syncbn.collective;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bandwidth-optimal sum of one large array over the group's full mesh: a direct reduce-scatter
 * followed by a direct all-gather, chunked and pipelined.
 *
 * <p>The array is cut into G segments as evenly as possible; group rank q owns segment q. Every
 * member sends each peer its contribution to that peer's segment, adds the G contributions to its
 * own segment chunk by chunk in rank order {@code ((a0 + a1) + a2) + ...}, and sends every reduced
 * chunk to every peer as soon as it is done, while it goes on adding the next one. Each member
 * sends and receives 2(G-1)/G of the array: the same volume as a ring, in two steps instead of
 * 2(G-1) (so it also pays less latency), and, unlike a ring, whose partial sums start at a
 * different rank for every segment, every element is added in exactly the rank order of the small
 * path ({@link RankOrder#sum}): the result is bitwise the same for every size, member, timing and
 * way a caller splits its buffers. The price is G-1 concurrent streams per member, which a
 * switched network or loopback carries at full rate.
 *
 * <p>Threads: the caller reads and adds; one sender task per peer writes (the mesh's pool), first
 * the contribution (the mandatory part, ending {@link Frames#PART_END}), then the reduced chunks
 * as the caller publishes them. No wait can close a cycle: contributions depend only on the
 * caller's input; a member adds after reading contributions, which the peers' senders write
 * without waiting for anything; reduced chunks depend only on adding. A length mismatch is seen
 * on every member in the first frames, before any reduced chunk is sent, so all of them drain the
 * mandatory parts alike (see {@link TcpMesh}).
 */
final class ScatterGatherSum {
    private final TcpMesh mesh;
    private final TcpMesh.Call call;
    private final ElementType type;
    private final Object local;
    private final int n;
    private final int groups;
    private final int me;
    private final int chunk;
    private final Object result;
    private final Progress progress = new Progress();

    ScatterGatherSum(TcpMesh mesh, TcpMesh.Call call, Object local) {
        this.mesh = mesh;
        this.call = call;
        this.type = call.op().type;
        this.local = local;
        this.n = type.length(local);
        this.groups = call.groupSize();
        this.me = mesh.rank - call.offset();
        this.chunk = mesh.tuning.chunkElements(type);
        this.result = type.newArray(n);
    }

    /** First element of segment q; segment q is [start(q), start(q + 1)). */
    int start(int q) {
        return q * (n / groups) + Math.min(q, n % groups);
    }

    /** Frames of segment q: one per chunk, at least one (an empty segment still ends its part). */
    int chunks(int q) {
        int len = start(q + 1) - start(q);
        return Math.max(1, (len + chunk - 1) / chunk);
    }

    int chunkStart(int q, int k) {
        return start(q) + k * chunk;
    }

    int chunkCount(int q, int k) {
        return Math.min(start(q + 1), chunkStart(q, k) + chunk) - chunkStart(q, k);
    }

    Object run() {
        Future<?>[] sends = new Future<?>[groups];
        try {
            for (int q = 0; q < groups; q++) {
                if (q != me) {
                    int target = q;
                    sends[q] = mesh.submit(() -> {
                        send(target);
                        return null;
                    });
                }
            }
            Frames.Header[] first = new Frames.Header[groups];
            int[] lengths = new int[groups];
            boolean mismatch = false;
            for (int q = 0; q < groups; q++) {
                if (q != me) {
                    first[q] = mesh.receive(call.offset() + q, call);
                    lengths[q] = first[q].total();
                    mismatch |= lengths[q] != n;
                } else {
                    lengths[q] = n;
                }
            }
            if (mismatch) {
                progress.abort();
                mesh.drainAll(call, first);
                mesh.awaitSends(call, sends);
                RankOrder.requireEqualLengths(lengths, call.offset(), call.who(), call.op(), call.seq());
            }
            reduceOwnSegment(first);
            gatherOtherSegments();
            mesh.awaitSends(call, sends);
            return result;
        } finally {
            progress.abort();   // no sender waits on a caller that has left
        }
    }

    /** Contribution to q's segment, then this member's reduced segment as it is published. */
    private void send(int q) throws java.io.IOException {
        int p = call.offset() + q;
        for (int k = 0; k < chunks(q); k++) {
            boolean end = k == chunks(q) - 1;
            mesh.send(p, mesh.header(call, n, chunkStart(q, k), chunkCount(q, k), end ? Frames.PART_END : 0), type, local,
                    chunkStart(q, k));
        }
        for (int k = 0; k < chunks(me); k++) {
            if (!progress.awaitAtLeast(k + 1, call.deadline())) {
                return;   // abandoned (lengths differ) or failing: the caller reports it
            }
            boolean end = k == chunks(me) - 1;
            mesh.send(p, mesh.header(call, n, chunkStart(me, k), chunkCount(me, k), end ? Frames.LAST : 0), type, result,
                    chunkStart(me, k));
        }
    }

    private void reduceOwnSegment(Frames.Header[] first) {
        Object scratch = type.newArray(Math.min(chunk, Math.max(1, start(me + 1) - start(me))));
        for (int k = 0; k < chunks(me); k++) {
            int from = chunkStart(me, k);
            int count = chunkCount(me, k);
            for (int q = 0; q < groups; q++) {
                if (q == me) {
                    if (q == 0) {
                        System.arraycopy(local, from, result, from, count);
                    } else {
                        type.add(local, from, result, from, count);
                    }
                    continue;
                }
                int p = call.offset() + q;
                Frames.Header h = k == 0 ? first[q] : mesh.receive(p, call);
                mesh.expectChunk(call, p, h, n, from, count);
                if (h.has(Frames.PART_END) != (k == chunks(me) - 1)) {
                    throw mesh.protocol(call, p, "ended its contribution at the wrong chunk");
                }
                if (q == 0) {
                    mesh.peer(p).decodeBody(type, result, from);
                } else {
                    mesh.peer(p).addBody(type, result, from, scratch);
                }
            }
            progress.publish(k + 1);
        }
    }

    private void gatherOtherSegments() {
        for (int q = 0; q < groups; q++) {
            if (q == me) {
                continue;
            }
            int p = call.offset() + q;
            for (int k = 0; k < chunks(q); k++) {
                Frames.Header h = mesh.receive(p, call);
                mesh.expectChunk(call, p, h, n, chunkStart(q, k), chunkCount(q, k));
                if (h.has(Frames.LAST) != (k == chunks(q) - 1)) {
                    throw mesh.protocol(call, p, "ended its reduced segment at the wrong chunk");
                }
                mesh.peer(p).decodeBody(type, result, h.offset());
            }
        }
    }

    /** How many of this member's reduced chunks are done; the senders wait on it. */
    private static final class Progress {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition advanced = lock.newCondition();
        private int done;
        private boolean aborted;

        void publish(int chunksDone) {
            lock.lock();
            try {
                done = chunksDone;
                advanced.signalAll();
            } finally {
                lock.unlock();
            }
        }

        void abort() {
            lock.lock();
            try {
                aborted = true;
                advanced.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** True once {@code chunks} are done; false if abandoned, interrupted or past the deadline. */
        boolean awaitAtLeast(int chunks, long deadline) {
            lock.lock();
            try {
                while (done < chunks && !aborted) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    advanced.awaitNanos(Math.min(left, TimeUnit.SECONDS.toNanos(1)));
                }
                return done >= chunks;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } finally {
                lock.unlock();
            }
        }
    }
}
