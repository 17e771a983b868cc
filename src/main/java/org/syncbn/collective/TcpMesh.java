package org.syncbn.collective;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One member's full mesh of connections, shared by its {@link TcpCollective} and all the
 * sub-collectives it hands out, plus the exchange every operation runs.
 *
 * <p>Exchange: send this member's frame to every peer of the group, then read every peer's frame
 * in rank order. Why it cannot deadlock: a frame of at most {@link #EAGER_FRAME_BYTES} is written
 * by the calling thread before it reads. On every connection at most two such frames are ever
 * unread (a member writes frame n+1 to a peer only after reading that peer's frame n, which the
 * peer wrote after finishing its operation n-1), and 2 × 16 KiB fits any OS's default socket
 * buffers, so those writes never block on a peer that is itself blocked writing. Larger frames
 * (not used by BN: 2·512+1 doubles is 8 KiB) are written by helper threads while the caller
 * reads, so no buffer size matters; the operation returns only when they are done, which keeps
 * frames in order on each connection.
 */
final class TcpMesh {
    static final int EAGER_FRAME_BYTES = 16 * 1024;

    final int rank;
    final int size;
    private final Duration timeout;
    private final long timeoutNanos;
    private final PeerConnection[] peers;   // null at this member's own rank
    private final AtomicBoolean busy = new AtomicBoolean();
    private final ConcurrentHashMap<Integer, TcpCollective> views = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile String failure;
    private ExecutorService senders;   // guarded by this; created on the first large frame

    TcpMesh(int rank, int size, PeerConnection[] peers, Duration timeout) {
        this.rank = rank;
        this.size = size;
        this.peers = peers;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
    }

    /** The one view of ranks [offset, offset + groupSize), so its sequence numbers continue. */
    TcpCollective view(int offset, int groupSize) {
        return views.computeIfAbsent(Frames.tag(offset, groupSize), t -> new TcpCollective(this, offset, groupSize));
    }

    String who(int offset, int groupSize) {
        return "rank " + rank + (groupSize == size ? "" : " in group " + Frames.describeTag(Frames.tag(offset, groupSize)));
    }

    /** Every group member's array, indexed by group rank; throws (and closes this member) on failure. */
    double[][] exchange(int offset, int groupSize, Op op, TcpCollective view, double[] local) {
        String who = who(offset, groupSize);
        if (!busy.compareAndSet(false, true)) {
            throw new IllegalStateException(who + ": " + op + " called while another operation of this member is"
                    + " running: a member must be used from one thread at a time");
        }
        try {
            long seq = view.nextSeq();
            if (closed) {
                throw new CollectiveException(who + ": " + op + " #" + seq + " on a closed collective"
                        + (failure == null ? "" : " (it failed earlier: " + failure + ")"));
            }
            double[][] parts;
            try {
                parts = exchangeOrThrow(who, offset, groupSize, op, seq, local);
            } catch (RuntimeException | Error e) {
                // streams may be mid-frame: nothing can be trusted after this, and closing tells the peers now
                failure = String.valueOf(e.getMessage());
                close();
                throw e;
            }
            // every frame was read whole, so the connections stay usable after this one
            RankOrder.requireEqualLengths(parts, offset, who, op, seq);
            return parts;
        } finally {
            busy.set(false);
        }
    }

    private double[][] exchangeOrThrow(String who, int offset, int groupSize, Op op, long seq, double[] local) {
        String what = who + ": " + op + " #" + seq;
        long deadline = System.nanoTime() + timeoutNanos;
        int tag = Frames.tag(offset, groupSize);
        byte[] frame = Frames.encode(tag, seq, op, local);
        Future<?>[] sends = null;
        if (frame.length <= EAGER_FRAME_BYTES) {
            for (int p = offset; p < offset + groupSize; p++) {
                if (p != rank) {
                    try {
                        peers[p].send(frame);
                    } catch (IOException e) {
                        throw broken(what, "sending to", p, e);
                    }
                }
            }
        } else {
            sends = new Future<?>[groupSize];
            ExecutorService pool = senders();
            for (int p = offset; p < offset + groupSize; p++) {
                if (p != rank) {
                    PeerConnection c = peers[p];
                    sends[p - offset] = pool.submit(() -> {
                        c.send(frame);
                        return null;
                    });
                }
            }
        }
        double[][] parts = new double[groupSize][];
        parts[rank - offset] = local.clone();
        for (int p = offset; p < offset + groupSize; p++) {
            if (p == rank) {
                continue;
            }
            Frames.Frame f;
            try {
                f = peers[p].receive(deadline);
            } catch (SocketTimeoutException e) {
                throw new CollectiveException(what + " timed out after " + RankOrder.describe(timeout)
                        + " waiting for rank " + p, e);
            } catch (IOException e) {
                throw broken(what, "receiving from", p, e);
            }
            if (f.tag() != tag || f.seq() != seq || f.op() != op.code) {
                throw new CollectiveException(what + " of group " + Frames.describeTag(tag) + " got "
                        + Frames.describeOp(f.op()) + " #" + f.seq() + " of group " + Frames.describeTag(f.tag())
                        + " from rank " + p + ": the members' operation sequences diverged");
            }
            parts[p - offset] = f.data();
        }
        if (sends != null) {
            awaitSends(what, offset, sends, deadline);
        }
        return parts;
    }

    private void awaitSends(String what, int offset, Future<?>[] sends, long deadline) {
        for (int i = 0; i < sends.length; i++) {
            if (sends[i] == null) {
                continue;
            }
            int p = offset + i;
            try {
                sends[i].get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new CollectiveException(what + " timed out after " + RankOrder.describe(timeout)
                        + " sending to rank " + p, e);
            } catch (ExecutionException e) {
                throw broken(what, "sending to", p, e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CollectiveException(what + " was interrupted", e);
            }
        }
    }

    private CollectiveException broken(String what, String direction, int peer, Throwable e) {
        if (closed && failure == null) {
            return new CollectiveException(what + " aborted: this member was closed", e);
        }
        if (e instanceof EOFException) {
            return new CollectiveException(what + " failed: rank " + peer + " closed the connection", e);
        }
        return new CollectiveException(what + " failed " + direction + " rank " + peer + ": " + e, e);
    }

    private synchronized ExecutorService senders() {
        if (senders == null) {
            senders = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "collective-rank" + rank + "-sender");
                t.setDaemon(true);
                return t;
            });
        }
        return senders;
    }

    boolean isClosed() {
        return closed;
    }

    /** Closes every connection; a thread blocked in an exchange wakes up with a CollectiveException. */
    void close() {
        closed = true;
        for (PeerConnection c : peers) {
            if (c != null) {
                c.close();
            }
        }
        synchronized (this) {
            if (senders != null) {
                senders.shutdownNow();
            }
        }
    }
}
