package org.syncbn.collective;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A rendezvous server on the driver, replacing Spark's barrier {@code allGather} (which costs
 * ~1 s per call in Spark 3.5) for the once-per-round exchange of the workers' socket addresses.
 *
 * <p>Protocol, one connection per task: the {@link Handshake} (purpose rendezvous, under the job's
 * secret), then a request frame (token, rank, size, message); when all {@code size} ranks of a
 * token have registered, every one of them receives all messages in rank order. A token never
 * completes twice: a re-run stage uses a new token (stage attempt).
 *
 * <p>Everything runs on one {@link Gate} thread: strangers, idlers and floods are dropped there
 * within the handshake deadline; a waiting task costs no thread. A rank is registered once per
 * token (a second claim is refused, logged and never displaces the first); world size and message
 * lengths are checked against hard limits before anything is allocated; meetings expire with their
 * timeout, finished tokens are remembered for two timeouts, aborted prefixes for the last
 * {@link #MAX_ABORTED}.
 */
public final class DriverRendezvous implements AutoCloseable {
    private static final int MAX_MEETINGS = 1024;
    private static final int MAX_ABORTED = 1024;
    private static final long RETRY_PAUSE_MS = 50;

    private final Gate gate;
    private final String address;
    private final Duration timeout;
    private final long timeoutNanos;
    private final RefusalLog log;

    // gate thread only
    private final Map<String, Meeting> meetings = new HashMap<>();
    private final Map<Gate.Connection, Meeting> waitingIn = new IdentityHashMap<>();
    private final Map<String, Long> finished = new HashMap<>();   // token -> when to forget it
    private final Map<String, String> aborted = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX_ABORTED;
        }
    };

    private static final class Meeting {
        final String token;
        final String[] messages;
        final Gate.Connection[] waiting;
        final long expires;
        int arrived;

        Meeting(String token, int size, long expires) {
            this.token = token;
            this.messages = new String[size];
            this.waiting = new Gate.Connection[size];
            this.expires = expires;
        }
    }

    /** A task's request, as it travels. */
    record Request(String token, int rank, int size, String message) {
        byte[] encode() {
            byte[] t = token.getBytes(StandardCharsets.UTF_8);
            byte[] m = message.getBytes(StandardCharsets.UTF_8);
            return ByteBuffer.allocate(2 + t.length + 8 + 2 + m.length).order(ByteOrder.LITTLE_ENDIAN)
                    .putShort((short) t.length).put(t).putInt(rank).putInt(size).putShort((short) m.length).put(m).array();
        }

        /** Parses and checks a request against the limits; throws IllegalArgumentException naming what is wrong. */
        static Request decode(byte[] body) {
            try {
                ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
                String token = string(b, Limits.MAX_TOKEN_BYTES, "token");
                int rank = b.getInt();
                int size = b.getInt();
                String message = string(b, Limits.MAX_MESSAGE_BYTES, "message");
                if (b.hasRemaining()) {
                    throw new IllegalArgumentException(b.remaining() + " bytes after the request");
                }
                if (size < 1 || size > Limits.MAX_WORLD || rank < 0 || rank >= size) {
                    throw new IllegalArgumentException("rank " + rank + " of " + size + " is outside the limits (world size"
                            + " 1.." + Limits.MAX_WORLD + ")");
                }
                return new Request(token, rank, size, message);
            } catch (BufferUnderflowException e) {
                throw new IllegalArgumentException("a truncated request");
            }
        }
    }

    private DriverRendezvous(ServerSocketChannel server, Duration timeout, CollectiveSecurity security, RefusalLog log)
            throws IOException {
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.log = log;
        InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
        this.address = bound.getAddress().getHostAddress() + ":" + bound.getPort();
        this.gate = new Gate("syncbn-rendezvous", server, security, Handshake.Purpose.RENDEZVOUS, Handshake.noContext(),
                new Gate.Admission() {
                    @Override
                    public void admit(Gate.Connection c) {
                        DriverRendezvous.this.admit(c);
                    }

                    @Override
                    public void expired(Gate.Connection c) {
                        DriverRendezvous.this.expired(c);
                    }

                    @Override
                    public void tick(long now) {
                        DriverRendezvous.this.tick(now);
                    }
                }, log);
        gate.start();
    }

    /**
     * Starts a server on {@code host} (an ephemeral port, bound to that address only); tasks wait at
     * most {@code timeout} for their peers, and must connect with the same {@code security}.
     */
    public static DriverRendezvous start(String host, Duration timeout, CollectiveSecurity security) {
        return start(host, timeout, security, RefusalLog.toSlf4j("rendezvous"));
    }

    static DriverRendezvous start(String host, Duration timeout, CollectiveSecurity security, RefusalLog log) {
        RankOrder.requirePositiveNanos(timeout);
        if (security == null) {
            throw new IllegalArgumentException("the rendezvous needs the job's CollectiveSecurity");
        }
        InetSocketAddress address = BindAddress.of(host);   // never the wildcard
        ServerSocketChannel s = null;
        try {
            s = ServerSocketChannel.open();
            s.bind(address, Limits.LISTEN_BACKLOG);
            return new DriverRendezvous(s, timeout, security, log);
        } catch (IOException e) {
            try {
                if (s != null) {
                    s.close();
                }
            } catch (IOException ignored) {
                // already failing
            }
            throw new java.io.UncheckedIOException("cannot start the rendezvous server on " + host, e);
        }
    }

    /** "host:port" for the tasks. */
    public String address() {
        return address;
    }

    RefusalLog refusals() {
        return log;
    }

    private void admit(Gate.Connection c) {
        if (c.header().op() != Frames.RENDEZVOUS_REQUEST) {
            c.refuse("bad request", "first frame is " + Frames.describeOp(c.header().op()));
            return;
        }
        Request r;
        try {
            r = Request.decode(c.body());
        } catch (IllegalArgumentException e) {
            log.refused("bad request", c.remote(), e.getMessage());
            answerError(c, "bad rendezvous request: " + e.getMessage());
            return;
        }
        String abortReason = abortReasonOf(r.token());
        if (abortReason != null) {
            answerError(c, "rendezvous " + r.token() + " was aborted: " + abortReason);
            return;
        }
        Meeting m = meetings.get(r.token());
        if (m == null && !finished.containsKey(r.token())) {
            if (meetings.size() >= MAX_MEETINGS) {
                log.refused("too many meetings", c.remote(), MAX_MEETINGS + " rendezvous are open");
                answerError(c, "the driver holds " + MAX_MEETINGS + " open rendezvous already");
                return;
            }
            m = new Meeting(r.token(), r.size(), System.nanoTime() + timeoutNanos + TimeUnit.SECONDS.toNanos(1));
            meetings.put(r.token(), m);
        }
        if (m == null || r.size() != m.messages.length || m.messages[r.rank()] != null) {
            if (m != null && r.size() == m.messages.length) {
                log.refused("second claim of a rank", c.remote(), "rank " + r.rank() + " of token " + r.token()
                        + " is registered already: the first stays");
            }
            answerError(c, "rank " + r.rank() + " of " + r.size() + " does not fit token " + r.token());
            return;
        }
        c.park(System.nanoTime() + timeoutNanos);
        if (!c.isParked()) {
            return;   // the gate refused to hold it (at its limit)
        }
        m.messages[r.rank()] = r.message();
        m.waiting[r.rank()] = c;
        m.arrived++;
        waitingIn.put(c, m);
        if (m.arrived == m.messages.length) {
            complete(m);
        }
    }

    private void complete(Meeting m) {
        ByteBuffer b = ByteBuffer.allocate(4 + m.messages.length * (2 + Limits.MAX_MESSAGE_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(m.messages.length);
        for (String msg : m.messages) {
            byte[] bytes = msg.getBytes(StandardCharsets.UTF_8);
            b.putShort((short) bytes.length).put(bytes);
        }
        byte[] reply = java.util.Arrays.copyOf(b.array(), b.position());
        for (Gate.Connection w : m.waiting) {
            if (w != null) {
                waitingIn.remove(w);
                w.answer(Frames.RENDEZVOUS_REPLY, reply, null);
            }
        }
        meetings.remove(m.token);
        finished.put(m.token, System.nanoTime() + 2 * timeoutNanos);
    }

    private void expired(Gate.Connection c) {
        Meeting m = waitingIn.remove(c);
        if (m == null) {
            c.close();
            return;
        }
        answerError(c, "rendezvous " + m.token + ": only " + m.arrived + " of " + m.messages.length
                + " tasks arrived within " + timeout.toSeconds() + " s");
        dropWaiter(m, c);
    }

    private void dropWaiter(Meeting m, Gate.Connection c) {
        for (int r = 0; r < m.waiting.length; r++) {
            if (m.waiting[r] == c) {
                m.waiting[r] = null;
            }
        }
        for (Gate.Connection w : m.waiting) {
            if (w != null && w.isOpen()) {
                return;
            }
        }
        meetings.remove(m.token);   // nobody waits any more: a later arrival starts afresh
    }

    private void tick(long now) {
        finished.values().removeIf(forgetAt -> now - forgetAt > 0);
        for (Iterator<Meeting> it = meetings.values().iterator(); it.hasNext(); ) {
            Meeting m = it.next();
            if (now - m.expires > 0) {
                it.remove();
                for (Gate.Connection w : m.waiting) {
                    if (w != null) {
                        waitingIn.remove(w);
                        answerError(w, "rendezvous " + m.token + " expired");
                    }
                }
            }
        }
    }

    private static void answerError(Gate.Connection c, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        if (t.length > 4096) {
            t = java.util.Arrays.copyOf(t, 4096);
        }
        c.answer(Frames.RENDEZVOUS_REPLY, ByteBuffer.allocate(6 + t.length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(-1).putShort((short) t.length).put(t).array(), null);
    }

    /**
     * Task side: registers {@code message} as {@code rank} of {@code size} under {@code token} and
     * returns all ranks' messages, in rank order. Retries the connection (not a reply) until the
     * timeout, so a driver busy with strangers only delays it.
     */
    public static String[] exchange(String driverAddress, String token, int rank, int size, String message,
                                    Duration timeout, CollectiveSecurity security) {
        Request request = new Request(token, rank, size, message);
        byte[] body = request.encode();
        Request.decode(body);   // the same limits the driver applies, checked here where the caller sees them
        int colon = driverAddress.lastIndexOf(':');
        InetSocketAddress addr = new InetSocketAddress(driverAddress.substring(0, colon),
                Integer.parseInt(driverAddress.substring(colon + 1)));
        long deadline = System.nanoTime() + timeout.toNanos();
        SecureRandom random = new SecureRandom();
        IOException last = null;
        while (System.nanoTime() - deadline < 0) {
            try (Socket s = new Socket()) {
                s.connect(addr, (int) Math.max(1, Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000)));
                long handshake = Math.min(deadline, System.nanoTime() + Limits.HANDSHAKE_NANOS);
                PeerConnection c = PeerConnection.handshake(s, security, Handshake.Purpose.RENDEZVOUS, Handshake.noContext(),
                        random, handshake);
                c.sendControl(Frames.RENDEZVOUS_REQUEST, body);
                Frames.Header h = c.receive(deadline + TimeUnit.SECONDS.toNanos(5), Limits.MAX_FRAME_BODY);
                if (h.op() != Frames.RENDEZVOUS_REPLY) {
                    throw new CollectiveException("rank " + rank + ": rendezvous at " + driverAddress + " answered "
                            + Frames.describeOp(h.op()));
                }
                return parseReply(rank, c.controlBody(), driverAddress);
            } catch (SocketTimeoutException e) {
                last = e;
                break;
            } catch (PeerConnection.Refused e) {
                // the address answers, but not as this job's driver: waiting will not change that
                throw new CollectiveException("rank " + rank + ": rendezvous at " + driverAddress + " refused: it "
                        + e.getMessage() + " (another job's driver, or another secret)");
            } catch (IOException e) {
                last = e;   // refused, evicted or reset before an answer: try again until the deadline
                pause(deadline);
            }
        }
        if (last instanceof SocketTimeoutException || last == null) {
            throw new CollectiveException("rank " + rank + ": rendezvous at " + driverAddress + " timed out after "
                    + timeout.toSeconds() + " s");
        }
        throw new CollectiveException("rank " + rank + ": rendezvous at " + driverAddress + " failed: " + last);
    }

    private static String[] parseReply(int rank, byte[] body, String driverAddress) {
        try {
            ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
            int n = b.getInt();
            if (n < 0) {
                throw new CollectiveException("rank " + rank + ": " + string(b, 4096, "error"));
            }
            if (n > Limits.MAX_WORLD) {
                throw new IllegalArgumentException(n + " messages");
            }
            String[] all = new String[n];
            for (int i = 0; i < n; i++) {
                all[i] = string(b, Limits.MAX_MESSAGE_BYTES, "message");
            }
            return all;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new CollectiveException("rank " + rank + ": rendezvous at " + driverAddress + " sent a malformed reply");
        }
    }

    private static String string(ByteBuffer b, int max, String what) {
        int len = Short.toUnsignedInt(b.getShort());
        if (len > max || len > b.remaining()) {
            throw new IllegalArgumentException(what + " of " + len + " bytes (at most " + max + ")");
        }
        byte[] bytes = new byte[len];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void pause(long deadline) {
        try {
            Thread.sleep(Math.min(RETRY_PAUSE_MS, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CollectiveException("rendezvous was interrupted", e);
        }
    }

    private String abortReasonOf(String token) {
        for (Map.Entry<String, String> e : aborted.entrySet()) {
            if (token.startsWith(e.getKey())) {
                return e.getValue();
            }
        }
        return null;
    }

    /**
     * Ends the meetings of a failed stage attempt (tokens starting with {@code tokenPrefix}): tasks
     * waiting there, and any that arrive later, get {@code reason} at once instead of waiting out
     * the timeout while they hold the task slots the next attempt needs.
     */
    public void abort(String tokenPrefix, String reason) {
        onGate(() -> {
            aborted.put(tokenPrefix, reason);
            List<Meeting> ended = new ArrayList<>();
            meetings.values().forEach(m -> {
                if (m.token.startsWith(tokenPrefix)) {
                    ended.add(m);
                }
            });
            for (Meeting m : ended) {
                meetings.remove(m.token);
                for (Gate.Connection w : m.waiting) {
                    if (w != null) {
                        waitingIn.remove(w);
                        answerError(w, "rendezvous " + m.token + " was aborted: " + reason);
                    }
                }
            }
        });
    }

    /** Forgets the meetings of finished rounds (tokens with the given prefix). */
    public void forget(String tokenPrefix) {
        onGate(() -> {
            meetings.keySet().removeIf(t -> t.startsWith(tokenPrefix));
            finished.keySet().removeIf(t -> t.startsWith(tokenPrefix));
        });
    }

    /** Runs {@code task} on the gate thread and waits for it, so its effect is visible when the caller goes on. */
    private void onGate(Runnable task) {
        CountDownLatch done = new CountDownLatch(1);
        gate.execute(() -> {
            try {
                task.run();
            } finally {
                done.countDown();
            }
        });
        try {
            done.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        gate.close();
    }
}
