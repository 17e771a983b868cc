package org.syncbn.collective;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One member's full mesh of authenticated connections, shared by its {@link TcpCollective} and all
 * the sub-collectives it hands out, plus the exchanges every operation runs.
 *
 * <p>Small arrays (all gathers; sums under {@link Tuning#largeBytes}): send this member's array to
 * every peer of the group, then read every peer's in rank order, and add in rank order here: one
 * round trip. Large sums: {@link ScatterGatherSum}, which moves 2(G-1)/G of the array per member
 * instead of G-1 times it, and adds every element in the same rank order, so the two paths give
 * the same bits and the threshold is only a matter of speed.
 *
 * <p>Why the small path cannot deadlock: a message of at most {@link #EAGER_FRAME_BYTES} is written
 * by the calling thread before it reads. On every connection at most two such messages are ever
 * unread (a member writes message n+1 to a peer only after reading that peer's message n, which the
 * peer wrote after finishing its operation n-1), and 2 × 16 KiB fits any OS's default socket
 * buffers, so those writes never block on a peer that is itself blocked writing. Larger messages
 * (not used by BN: 2·512+1 doubles is 8 KiB) are written by sender threads while the caller reads,
 * so no buffer size matters; the operation returns only when they are done, which keeps frames in
 * order on each connection.
 *
 * <p>Every message a member sends for an operation starts with a frame that carries its array's
 * length and ends its mandatory part with a frame flagged {@link Frames#PART_END}. Every member
 * reads the first frame of every peer before anything else, so all of them see a length mismatch,
 * drain exactly the mandatory parts and report it alike, and the connections stay in step.
 */
final class TcpMesh {
    static final int EAGER_FRAME_BYTES = 16 * 1024;

    /**
     * Where sums switch to the scatter-gather path, the chunk size of messages, and this member's
     * send rate (0: as fast as the connections go; benchmarks pace it to emulate a slower network,
     * {@link SendPacer}); all change speed only, never results. Tests shrink the first two to reach
     * every split with small arrays.
     */
    record Tuning(int largeBytes, int chunkBytes, long sendBytesPerSecond) {
        static final Tuning DEFAULT = new Tuning(64 * 1024, 64 * 1024, 0);

        Tuning {
            if (largeBytes < 0 || chunkBytes < Double.BYTES || chunkBytes > Limits.MAX_FRAME_BODY || sendBytesPerSecond < 0) {
                throw new IllegalArgumentException("bad tuning " + largeBytes + ", " + chunkBytes + ", " + sendBytesPerSecond);
            }
        }

        Tuning(int largeBytes, int chunkBytes) {
            this(largeBytes, chunkBytes, 0);
        }

        int chunkElements(ElementType type) {
            return chunkBytes / type.bytes;
        }
    }

    final int rank;
    final int size;
    final Tuning tuning;
    private final Duration timeout;
    private final long timeoutNanos;
    private final PeerConnection[] peers;   // null at this member's own rank
    private final SendPacer pacer;          // this member's link, shared by its sender threads
    private final AtomicBoolean busy = new AtomicBoolean();
    private final ConcurrentHashMap<Integer, TcpCollective> views = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile String failure;
    private ExecutorService senders;   // guarded by this; created on the first message not sent inline

    TcpMesh(int rank, int size, PeerConnection[] peers, Duration timeout, Tuning tuning) {
        this.rank = rank;
        this.size = size;
        this.peers = peers;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.tuning = tuning;
        this.pacer = new SendPacer(tuning.sendBytesPerSecond());
    }

    /** Sends {@code h.count()} elements of {@code src} from {@code from} to rank {@code p}, at this member's link rate. */
    void send(int p, Frames.Header h, ElementType type, Object src, int from) throws IOException {
        pacer.take(Frames.HEADER_BYTES + (long) h.count() * type.bytes + Frames.TAG_BYTES);
        peers[p].send(h, type, src, from);
    }

    /** The one view of ranks [offset, offset + groupSize), so its sequence numbers continue. */
    TcpCollective view(int offset, int groupSize) {
        return views.computeIfAbsent(Frames.tag(offset, groupSize), t -> new TcpCollective(this, offset, groupSize));
    }

    String who(int offset, int groupSize) {
        return "rank " + rank + (groupSize == size ? "" : " in group " + Frames.describeTag(Frames.tag(offset, groupSize)));
    }

    /** One operation in flight: what every helper needs to frame, check and word it. */
    record Call(String who, String what, Op op, int tag, long seq, int offset, int groupSize, long deadline) {
    }

    /** Every group member's array (this member's own a copy), indexed by group rank. */
    Object[] gather(int offset, int groupSize, Op op, TcpCollective view, Object local) {
        return run(offset, groupSize, op, view, call -> gatherOrThrow(call, local));
    }

    /** The rank-ordered sum of every group member's array. */
    Object reduce(int offset, int groupSize, Op op, TcpCollective view, Object local) {
        return run(offset, groupSize, op, view, call -> {
            if (groupSize > 1 && (long) op.type.length(local) * op.type.bytes >= tuning.largeBytes()) {
                return new ScatterGatherSum(this, call, local).run();
            }
            return RankOrder.sum(op.type, gatherOrThrow(call, local));
        });
    }

    private interface Body<T> {
        T run(Call call);
    }

    private <T> T run(int offset, int groupSize, Op op, TcpCollective view, Body<T> body) {
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
            Call call = new Call(who, who + ": " + op + " #" + seq, op, Frames.tag(offset, groupSize), seq, offset, groupSize,
                    System.nanoTime() + timeoutNanos);
            try {
                return body.run(call);
            } catch (RankOrder.LengthMismatchException e) {
                throw e;   // every frame was read whole: the connections stay usable
            } catch (RuntimeException | Error e) {
                // streams may be mid-frame: nothing can be trusted after this, and closing tells the peers now
                failure = String.valueOf(e.getMessage());
                close();
                throw e;
            }
        } finally {
            busy.set(false);
        }
    }

    private Object[] gatherOrThrow(Call call, Object local) {
        ElementType type = call.op().type;
        int n = type.length(local);
        int me = rank - call.offset();
        Future<?>[] sends = null;
        if (Frames.HEADER_BYTES + (long) n * type.bytes + Frames.TAG_BYTES <= EAGER_FRAME_BYTES) {
            for (int q = 0; q < call.groupSize(); q++) {
                if (q != me) {
                    int p = call.offset() + q;
                    try {
                        sendWhole(p, call, local);
                    } catch (IOException e) {
                        throw broken(call.what(), "sending to", p, e);
                    }
                }
            }
        } else {
            sends = new Future<?>[call.groupSize()];
            for (int q = 0; q < call.groupSize(); q++) {
                if (q != me) {
                    int p = call.offset() + q;
                    sends[q] = submit(() -> {
                        sendWhole(p, call, local);
                        return null;
                    });
                }
            }
        }
        // the first frame of every peer first: all members learn all lengths before anyone decodes
        Frames.Header[] first = new Frames.Header[call.groupSize()];
        int[] lengths = new int[call.groupSize()];
        boolean mismatch = false;
        for (int q = 0; q < call.groupSize(); q++) {
            if (q == me) {
                lengths[q] = n;
                continue;
            }
            first[q] = receive(call.offset() + q, call);
            lengths[q] = first[q].total();
            mismatch |= lengths[q] != n;
        }
        if (mismatch) {
            drainAll(call, first);
            awaitSends(call, sends);
            RankOrder.requireEqualLengths(lengths, call.offset(), call.who(), call.op(), call.seq());
        }
        Object[] parts = new Object[call.groupSize()];
        parts[me] = type.copyOf(local);
        for (int q = 0; q < call.groupSize(); q++) {
            if (q == me) {
                continue;
            }
            int p = call.offset() + q;
            Object part = type.newArray(n);
            Frames.Header h = first[q];
            int expected = 0;
            while (true) {
                expectChunk(call, p, h, n, expected, -1);
                peers[p].decodeBody(type, part, h.offset());
                expected += h.count();
                if (h.has(Frames.LAST)) {
                    break;
                }
                h = receive(p, call);
            }
            if (expected != n) {
                throw protocol(call, p, "its message ended after " + expected + " of " + n + " elements");
            }
            parts[q] = part;
        }
        awaitSends(call, sends);
        return parts;
    }

    /** This member's whole array to rank {@code p} in chunks, the last flagged as the end of the message. */
    private void sendWhole(int p, Call call, Object local) throws IOException {
        ElementType type = call.op().type;
        int n = type.length(local);
        int chunk = tuning.chunkElements(type);
        int from = 0;
        do {
            int count = Math.min(chunk, n - from);
            boolean last = from + count == n;
            send(p, header(call, n, from, count, last ? Frames.PART_END | Frames.LAST : 0), type, local, from);
            from += count;
        } while (from < n);
    }

    Frames.Header header(Call call, int total, int offset, int count, int flags) {
        return new Frames.Header(call.op().code, call.tag(), call.seq(), total, offset, count, flags);
    }

    PeerConnection peer(int p) {
        return peers[p];
    }

    /** The next frame from rank {@code p} of this operation, or the operation fails naming why. */
    Frames.Header receive(int p, Call call) {
        Frames.Header h;
        try {
            h = peers[p].receive(call.deadline(), Limits.MAX_FRAME_BODY);
        } catch (SocketTimeoutException e) {
            throw new CollectiveException(call.what() + " timed out after " + RankOrder.describe(timeout)
                    + " waiting for rank " + p, e);
        } catch (IOException e) {
            throw broken(call.what(), "receiving from", p, e);
        }
        if (h.tag() != call.tag() || h.seq() != call.seq() || h.op() != call.op().code) {
            throw new CollectiveException(call.what() + " of group " + Frames.describeTag(call.tag()) + " got "
                    + Frames.describeOp(h.op()) + " #" + h.seq() + " of group " + Frames.describeTag(h.tag())
                    + " from rank " + p + ": the members' operation sequences diverged");
        }
        return h;
    }

    /**
     * Checks that {@code h} is the chunk expected next from {@code p}: the agreed total, starting at
     * {@code offset}, {@code count} elements long (-1: any), flagged as the end exactly when it is.
     */
    void expectChunk(Call call, int p, Frames.Header h, int total, int offset, int count) {
        if (h.total() != total || h.offset() != offset || (count >= 0 && h.count() != count)) {
            throw protocol(call, p, "sent chunk [" + h.offset() + ", +" + h.count() + ") of " + h.total()
                    + " where [" + offset + ", +" + (count < 0 ? "?" : count) + ") of " + total + " was due");
        }
    }

    CollectiveException protocol(Call call, int p, String detail) {
        return new CollectiveException(call.what() + " failed: rank " + p + " broke the protocol: " + detail);
    }

    /** After a length mismatch: reads every peer's mandatory part to its end, so the connections stay in step. */
    void drainAll(Call call, Frames.Header[] first) {
        for (int q = 0; q < first.length; q++) {
            if (first[q] == null) {
                continue;
            }
            Frames.Header h = first[q];
            while (!h.has(Frames.PART_END)) {
                h = receive(call.offset() + q, call);
            }
        }
    }

    Future<?> submit(Callable<Void> send) {
        return senders().submit(send);
    }

    void awaitSends(Call call, Future<?>[] sends) {
        if (sends == null) {
            return;
        }
        for (int q = 0; q < sends.length; q++) {
            if (sends[q] == null) {
                continue;
            }
            int p = call.offset() + q;
            try {
                sends[q].get(Math.max(0, call.deadline() - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new CollectiveException(call.what() + " timed out after " + RankOrder.describe(timeout)
                        + " sending to rank " + p, e);
            } catch (ExecutionException e) {
                throw broken(call.what(), "sending to", p, e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CollectiveException(call.what() + " was interrupted", e);
            }
        }
    }

    CollectiveException broken(String what, String direction, int peer, Throwable e) {
        if (closed && failure == null) {
            return new CollectiveException(what + " aborted: this member was closed", e);
        }
        if (e instanceof EOFException) {
            return new CollectiveException(what + " failed: rank " + peer + " closed the connection", e);
        }
        if (e instanceof java.net.SocketException && String.valueOf(e.getMessage()).matches("(?i).*(reset|broken pipe).*")) {
            // a peer that closes with our frames unread in its buffer resets instead of ending the stream
            return new CollectiveException(what + " failed: rank " + peer + " closed the connection (" + e.getMessage() + ")", e);
        }
        if (e instanceof FrameCipher.FrameAuthenticationException) {
            return new CollectiveException(what + " failed: the connection with rank " + peer + " was tampered with: "
                    + e.getMessage(), e);
        }
        return new CollectiveException(what + " failed " + direction + " rank " + peer + ": " + e, e);
    }

    private synchronized ExecutorService senders() {
        if (senders == null) {
            // one thread per peer is all an operation ever uses, and operations never overlap
            senders = Executors.newFixedThreadPool(Math.max(1, size - 1), r -> {
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
