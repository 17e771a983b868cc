package org.syncbn.collective;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds one member's full mesh: it dials every lower rank, then accepts every higher rank (rank
 * 0 only accepts, so the chain of waits always ends). Each connection starts with a hello both
 * ways (magic, protocol version, rank, size); a connection without our magic is dropped and the
 * wait goes on, a peer with another version or size fails the connect.
 */
final class MeshConnector {
    private static final long RETRY_PAUSE_MS = 50;

    private final int rank;
    private final int size;
    private final Duration timeout;
    private final long deadline;
    private final PeerConnection[] peers;

    private MeshConnector(int rank, int size, Duration timeout) {
        this.rank = rank;
        this.size = size;
        this.timeout = timeout;
        this.deadline = System.nanoTime() + timeout.toNanos();
        this.peers = new PeerConnection[size];
    }

    static TcpMesh connect(int rank, List<InetSocketAddress> addresses, ServerSocket listening, Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero() || rank < 0 || rank >= addresses.size()) {
            closeQuietly(listening);   // it was handed over either way
            RankOrder.requirePositiveNanos(timeout);
            throw new IllegalArgumentException("rank " + rank + " is outside the " + addresses.size() + " peers given");
        }
        MeshConnector c = new MeshConnector(rank, addresses.size(), timeout);
        try (ServerSocket server = listening) {   // needed only until the mesh is up
            for (int p = 0; p < rank; p++) {
                c.peers[p] = c.dial(p, addresses.get(p));
            }
            c.acceptHigherRanks(server);
            return new TcpMesh(rank, c.size, c.peers, timeout);
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
        }
    }

    private PeerConnection dial(int peer, InetSocketAddress address) {
        Exception last = null;
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new CollectiveException("rank " + rank + ": connect timed out after " + RankOrder.describe(timeout)
                        + " reaching rank " + peer + " at " + address + (last == null ? "" : ": " + last), last);
            }
            Socket socket = new Socket();
            PeerConnection c = null;
            try {
                socket.connect(address, (int) Math.max(1, left / 1_000_000));
                c = new PeerConnection(socket);
                c.sendHello(rank, size);
                PeerConnection.Hello h = c.receiveHello(deadline);
                check(h, c, peer);
                return c;
            } catch (IOException e) {
                // not listening yet, or went away mid-handshake: try again until the deadline
                last = e;
                closeQuietly(socket);
                pause();
            } catch (RuntimeException e) {
                closeQuietly(socket);
                throw e;
            }
        }
    }

    private void acceptHigherRanks(ServerSocket server) throws IOException {
        int expected = size - 1 - rank;
        int joined = 0;
        while (joined < expected) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw acceptTimeout(null);
            }
            server.setSoTimeout((int) Math.max(1, left / 1_000_000));
            Socket socket;
            try {
                socket = server.accept();
            } catch (SocketTimeoutException e) {
                throw acceptTimeout(e);
            }
            PeerConnection c = new PeerConnection(socket);
            PeerConnection.Hello h;
            try {
                h = c.receiveHello(deadline);
            } catch (IOException e) {
                c.close();   // a stray or dead connection: keep waiting for the real peers
                continue;
            }
            if (h.magic() != PeerConnection.MAGIC) {
                c.close();
                continue;
            }
            try {
                check(h, c, -1);
                if (h.rank() <= rank) {
                    throw new CollectiveException("rank " + rank + ": connect: " + c.remote() + " claims rank "
                            + h.rank() + ", but only higher ranks connect to this member");
                }
                c.sendHello(rank, size);
            } catch (RuntimeException | IOException e) {
                c.close();
                throw e;
            }
            if (peers[h.rank()] == null) {
                joined++;
            } else {
                peers[h.rank()].close();   // the peer retried its dial: the newer connection is the live one
            }
            peers[h.rank()] = c;
        }
    }

    private CollectiveException acceptTimeout(Exception cause) {
        List<Integer> missing = new ArrayList<>();
        for (int p = rank + 1; p < size; p++) {
            if (peers[p] == null) {
                missing.add(p);
            }
        }
        return new CollectiveException("rank " + rank + ": connect timed out after " + RankOrder.describe(timeout)
                + " waiting for " + (missing.size() == 1 ? "rank " : "ranks ")
                + missing.toString().replaceAll("[\\[\\]]", "") + " to connect", cause);
    }

    /** {@code expectedRank} -1: any rank. */
    private void check(PeerConnection.Hello h, PeerConnection c, int expectedRank) {
        String peer = expectedRank >= 0 ? "rank " + expectedRank + " at " + c.remote() : c.remote();
        if (h.magic() != PeerConnection.MAGIC) {
            throw new CollectiveException("rank " + rank + ": connect: " + peer + " is not a collective member"
                    + " (bad magic 0x" + Integer.toHexString(h.magic()) + ")");
        }
        if (h.version() != PeerConnection.VERSION) {
            throw new CollectiveException("rank " + rank + ": connect: " + peer + " speaks protocol version "
                    + h.version() + ", this member speaks " + PeerConnection.VERSION);
        }
        if (h.size() != size) {
            throw new CollectiveException("rank " + rank + ": connect: " + peer + " believes the collective has "
                    + h.size() + " members, this member " + size);
        }
        if (h.rank() < 0 || h.rank() >= size || (expectedRank >= 0 && h.rank() != expectedRank)) {
            throw new CollectiveException("rank " + rank + ": connect: " + peer + " answered as rank " + h.rank());
        }
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
