package org.syncbn.collective;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Builds one member's full mesh: it dials every lower rank and lets every higher rank in through a
 * {@link Gate} on its listening socket (rank 0 only lets in, so the chain of waits always ends;
 * the last rank closes its socket at once). Both sides authenticate first ({@link Handshake},
 * bound to this mesh by the SHA-256 of the members' addresses, so a member of another stage
 * attempt cannot join); then the dialer sends a hello frame (rank, size) and the gate answers
 * with its own.
 *
 * <p>Who is let in: a hello that claims a higher rank not yet taken, with the same size. Anything
 * else is refused and logged (rate-limited), never fails the connect and never displaces an
 * accepted peer: a stranger cannot end a run, and a real peer that never arrives still times the
 * connect out, with the refusals in the message. The dialer retries until the deadline.
 */
final class MeshConnector {
    private static final long RETRY_PAUSE_MS = 50;

    private final int rank;
    private final int size;
    private final Duration timeout;
    private final long deadline;
    private final CollectiveSecurity security;
    private final byte[] context;
    private final SecureRandom random = new SecureRandom();
    private final PeerConnection[] peers;
    private final LinkedBlockingQueue<Joined> joined = new LinkedBlockingQueue<>();
    private final RefusalLog log;
    private final boolean[] claimed;   // gate thread only
    private final String[] claimedBy;  // gate thread only

    private record Joined(int rank, Gate.Detached connection) {
    }

    private MeshConnector(int rank, List<InetSocketAddress> addresses, Duration timeout, CollectiveSecurity security,
                          RefusalLog log) {
        this.rank = rank;
        this.size = addresses.size();
        this.timeout = timeout;
        this.deadline = System.nanoTime() + timeout.toNanos();
        this.security = security;
        this.context = Handshake.meshContext(addresses);
        this.peers = new PeerConnection[size];
        this.log = log;
        this.claimed = new boolean[size];
        this.claimedBy = new String[size];
    }

    static TcpMesh connect(int rank, List<InetSocketAddress> addresses, ServerSocketChannel listening, Duration timeout,
                           CollectiveSecurity security, TcpMesh.Tuning tuning, RefusalLog log) {
        if (timeout == null || timeout.isNegative() || timeout.isZero() || rank < 0 || rank >= addresses.size()
                || addresses.size() > Limits.MAX_WORLD || security == null) {
            closeQuietly(listening);   // it was handed over either way
            RankOrder.requirePositiveNanos(timeout);
            if (security == null) {
                throw new IllegalArgumentException("a collective needs its job's CollectiveSecurity");
            }
            throw new IllegalArgumentException("rank " + rank + " is outside the " + addresses.size() + " peers given"
                    + " (at most " + Limits.MAX_WORLD + ")");
        }
        MeshConnector c = new MeshConnector(rank, addresses, timeout, security, log);
        Gate gate = null;
        try (ServerSocketChannel server = listening) {   // needed only until the mesh is up
            if (rank < c.size - 1) {
                gate = new Gate("collective-rank" + rank + "-listener", server, security, Handshake.Purpose.MESH, c.context,
                        c::admit, log);
                gate.start();
            } else {
                server.close();   // nobody dials the last rank: strangers find no one there
            }
            for (int p = 0; p < rank; p++) {
                c.peers[p] = c.dial(p, addresses.get(p));
            }
            c.awaitHigherRanks();
            return new TcpMesh(rank, c.size, c.peers, timeout, tuning);
        } catch (IOException | RuntimeException e) {
            for (PeerConnection p : c.peers) {
                if (p != null) {
                    p.close();
                }
            }
            if (e instanceof CollectiveException ce) {
                throw ce;
            }
            throw new CollectiveException("rank " + rank + ": connect failed: " + e, e);
        } finally {
            if (gate != null) {
                gate.close();
            }
            for (Joined j; (j = c.joined.poll()) != null; ) {
                closeQuietly(j.connection().socket());   // let in after the connect gave up
            }
        }
    }

    /** Gate thread: decides on an authenticated peer's hello. */
    private void admit(Gate.Connection c) {
        Frames.Header h = c.header();
        if (h.op() != Frames.HELLO || h.count() != 8) {
            c.refuse("bad hello", "first frame is " + Frames.describeOp(h.op()) + " of " + h.count() + " bytes");
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(c.body()).order(ByteOrder.LITTLE_ENDIAN);
        int r = b.getInt();
        int s = b.getInt();
        if (s != size) {
            c.refuse("collective size", "believes the collective has " + s + " members, this member " + size);
        } else if (r <= rank || r >= size) {
            c.refuse("rank claim", "claims rank " + r + ", but only ranks " + (rank + 1) + ".." + (size - 1)
                    + " connect to rank " + rank);
        } else if (claimed[r]) {
            c.refuse("second claim of a rank", "claims rank " + r + ", accepted already from " + claimedBy[r]
                    + ": the first connection stays");
        } else {
            claimed[r] = true;
            claimedBy[r] = c.remote();
            c.answer(Frames.HELLO, hello(rank, size), d -> joined.add(new Joined(r, d)));
        }
    }

    private void awaitHigherRanks() throws IOException {
        int expected = size - 1 - rank;
        for (int got = 0; got < expected; got++) {
            Joined j;
            try {
                j = joined.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CollectiveException("rank " + rank + ": connect was interrupted", e);
            }
            if (j == null) {
                throw acceptTimeout();
            }
            peers[j.rank()] = PeerConnection.accepted(j.connection().socket(), j.connection().session());
        }
    }

    private PeerConnection dial(int peer, InetSocketAddress address) {
        Exception last = null;
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new CollectiveException("rank " + rank + ": connect timed out after " + RankOrder.describe(timeout)
                        + " reaching rank " + peer + " at " + address + (last == null ? "" : ": " + last.getMessage()), last);
            }
            Socket socket = new Socket();
            try {
                socket.connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
                long attempt = Math.min(deadline, System.nanoTime() + Limits.HANDSHAKE_NANOS);
                PeerConnection c = PeerConnection.handshake(socket, security, Handshake.Purpose.MESH, context, random, attempt);
                c.sendControl(Frames.HELLO, hello(rank, size));
                Frames.Header h = c.receive(attempt, Limits.MAX_FIRST_FRAME_BODY);
                ByteBuffer b = ByteBuffer.wrap(c.controlBody()).order(ByteOrder.LITTLE_ENDIAN);
                if (h.op() != Frames.HELLO || h.count() != 8 || b.getInt() != peer || b.getInt() != size) {
                    throw new CollectiveException("rank " + rank + ": connect: rank " + peer + " at " + address
                            + " answered with another rank or size");
                }
                return c;
            } catch (IOException e) {
                // not listening yet, busy, gone mid-handshake, or not one of ours: try again until the deadline
                last = e;
                closeQuietly(socket);
                pause();
            } catch (RuntimeException e) {
                closeQuietly(socket);
                throw e;
            }
        }
    }

    private CollectiveException acceptTimeout() {
        List<Integer> missing = new ArrayList<>();
        for (int p = rank + 1; p < size; p++) {
            if (peers[p] == null) {
                missing.add(p);
            }
        }
        return new CollectiveException("rank " + rank + ": connect timed out after " + RankOrder.describe(timeout)
                + " waiting for " + (missing.size() == 1 ? "rank " : "ranks ")
                + missing.toString().replaceAll("[\\[\\]]", "") + " to connect" + log.summary());
    }

    private static byte[] hello(int rank, int size) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(rank).putInt(size).array();
    }

    private void pause() {
        try {
            Thread.sleep(Math.min(RETRY_PAUSE_MS, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CollectiveException("rank " + rank + ": connect was interrupted", e);
        }
    }

    private static void closeQuietly(Closeable s) {
        try {
            if (s != null) {
                s.close();
            }
        } catch (IOException ignored) {
            // nothing to do: the socket is being dropped
        }
    }
}
