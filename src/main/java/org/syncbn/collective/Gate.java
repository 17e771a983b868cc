package org.syncbn.collective;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The door of one listening socket: accepts connections and runs the server side of the
 * {@link Handshake} and the first frame for all of them on one selector thread, so an idle or slow
 * client delays nobody and a stranger costs no thread, only a few hundred bytes until its deadline.
 *
 * <p>Bounds before authentication: every connection must complete the handshake and its first
 * frame within {@link Limits#HANDSHAKE_NANOS}; at most {@link Limits#MAX_PENDING_HANDSHAKES} are
 * in that phase, and a new one evicts the oldest (a real peer's handshake takes milliseconds, so
 * the oldest is an idler); reads are sized by the fixed handshake messages, never by a field of
 * the peer's. A failing accept (e.g. out of file descriptors) pauses accepting with a growing
 * back-off instead of spinning. Every refusal is counted and logged through a {@link RefusalLog}.
 *
 * <p>An authenticated connection's first frame goes to the {@link Admission} on the gate thread,
 * which refuses it, parks it (the rendezvous: it answers later), or answers it and either closes
 * it or takes it over as a blocking socket (the mesh).
 */
final class Gate implements AutoCloseable {
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long MAX_SELECT_MILLIS = 200;
    private static final long MIN_ACCEPT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_ACCEPT_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int ACCEPTS_PER_ROUND = 64;

    /** What the owner of a gate does with authenticated connections; called on the gate thread. */
    interface Admission {
        /** An authenticated connection's first frame: refuse, park or answer it before returning. */
        void admit(Connection c);

        /** A parked connection's deadline passed; it is still open. */
        default void expired(Connection c) {
            c.close();
        }

        /** Time-based housekeeping, at least every {@link #MAX_SELECT_MILLIS} ms. */
        default void tick(long nowNanos) {
        }
    }

    /** A connection handed over after its answer was sent: blocking again, with its session. */
    record Detached(Socket socket, Handshake.Session session, String remote) {
    }

    private enum Stage { HELLO, PROOF, FIRST_HEADER, FIRST_BODY, ADMITTING, PARKED, ANSWERING, LINGER, DONE }

    private final ServerSocketChannel server;
    private final Selector selector;
    private final CollectiveSecurity security;
    private final Handshake.Purpose purpose;
    private final byte[] context;
    private final Admission admission;
    private final RefusalLog log;
    private final SecureRandom random = new SecureRandom();
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    // gate thread only
    private final List<Connection> connections = new ArrayList<>();
    private final List<Connection> detaching = new ArrayList<>();
    private final SelectionKey acceptKey;
    private int handshaking;
    private int parked;
    private long acceptBackoff = MIN_ACCEPT_BACKOFF_NANOS;
    private long acceptPausedUntil;
    private boolean acceptPaused;

    Gate(String name, ServerSocketChannel server, CollectiveSecurity security, Handshake.Purpose purpose, byte[] context,
         Admission admission, RefusalLog log) throws IOException {
        this.server = server;
        this.security = security;
        this.purpose = purpose;
        this.context = context.clone();
        this.admission = admission;
        this.log = log;
        server.configureBlocking(false);
        this.selector = Selector.open();
        this.acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Runs {@code task} on the gate thread (the owner's way in from other threads). */
    void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    RefusalLog log() {
        return log;
    }

    /** Stops accepting at once, closes every connection still held, and waits briefly for the thread. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // the port is released either way
        }
        selector.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        try {
            while (!closed) {
                selector.select(selectMillis());
                if (closed) {
                    break;
                }
                for (Runnable t; (t = tasks.poll()) != null; ) {
                    t.run();
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    try {
                        if (k == acceptKey) {
                            acceptAll();
                        } else {
                            handle((Connection) k.attachment());
                        }
                    } catch (CancelledKeyException e) {
                        // closed while its event was pending: nothing left to do
                    }
                }
                finishDetaching();
                long now = System.nanoTime();
                expire(now);
                if (acceptPaused && now - acceptPausedUntil >= 0) {
                    acceptPaused = false;
                    acceptKey.interestOps(SelectionKey.OP_ACCEPT);
                }
                admission.tick(now);
            }
        } catch (IOException | RuntimeException | Error e) {
            // the listener is gone: say so, and close everything so clients fail at once instead of waiting
            if (!closed) {
                org.slf4j.LoggerFactory.getLogger(Gate.class).error("{}: listener failed", thread.getName(), e);
            }
        } finally {
            for (Connection c : new ArrayList<>(connections)) {
                c.close();
            }
            try {
                selector.close();
                server.close();
            } catch (IOException ignored) {
                // shutting down
            }
        }
    }

    private long selectMillis() {
        long now = System.nanoTime();
        long next = now + TimeUnit.MILLISECONDS.toNanos(MAX_SELECT_MILLIS);
        for (Connection c : connections) {
            if (c.deadline - next < 0) {
                next = c.deadline;
            }
        }
        if (acceptPaused && acceptPausedUntil - next < 0) {
            next = acceptPausedUntil;
        }
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(next - now) + 1);
    }

    private void acceptAll() {
        for (int i = 0; i < ACCEPTS_PER_ROUND; i++) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                // e.g. EMFILE: the pending connection stays queued, so accepting again at once would spin
                log.refused("accept failed", "listener", String.valueOf(e));
                acceptKey.interestOps(0);
                acceptPaused = true;
                acceptPausedUntil = System.nanoTime() + acceptBackoff;
                acceptBackoff = Math.min(MAX_ACCEPT_BACKOFF_NANOS, 2 * acceptBackoff);
                return;
            }
            if (ch == null) {
                return;
            }
            acceptBackoff = MIN_ACCEPT_BACKOFF_NANOS;
            Connection c = new Connection(ch);
            try {
                ch.configureBlocking(false);
                ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                c.key = ch.register(selector, SelectionKey.OP_READ, c);
            } catch (IOException e) {
                c.close();
                continue;
            }
            if (handshaking >= Limits.MAX_PENDING_HANDSHAKES) {
                oldestHandshaking().refuse("too many pending handshakes",
                        "evicted: " + Limits.MAX_PENDING_HANDSHAKES + " connections were still in their handshake");
            }
            connections.add(c);
            handshaking++;
        }
    }

    private Connection oldestHandshaking() {
        Connection oldest = null;
        for (Connection c : connections) {
            if (c.stage.compareTo(Stage.ADMITTING) < 0 && (oldest == null || c.acceptedAt - oldest.acceptedAt < 0)) {
                oldest = c;
            }
        }
        return oldest;
    }

    private void handle(Connection c) {
        if (c.stage == Stage.DONE) {
            return;
        }
        try {
            if (c.key.isValid() && c.key.isWritable()) {
                c.flush();
            }
            if (c.stage != Stage.DONE && c.key.isValid() && c.key.isReadable()) {
                c.read();
            }
        } catch (IOException e) {
            if (c.stage.compareTo(Stage.ADMITTING) < 0) {
                c.refuse("broken handshake", String.valueOf(e));
            } else {
                c.close();
            }
        }
    }

    private void expire(long now) {
        for (Connection c : new ArrayList<>(connections)) {
            if (c.stage == Stage.DONE || now - c.deadline < 0) {
                continue;
            }
            switch (c.stage) {
                case HELLO, PROOF, FIRST_HEADER, FIRST_BODY -> c.refuse("handshake timeout",
                        "no authenticated first frame within " + TimeUnit.NANOSECONDS.toMillis(Limits.HANDSHAKE_NANOS) + " ms");
                case PARKED -> {
                    admission.expired(c);
                    if (c.stage == Stage.PARKED) {
                        c.close();
                    }
                }
                default -> c.close();
            }
        }
    }

    private void finishDetaching() throws IOException {
        if (detaching.isEmpty()) {
            return;
        }
        selector.selectNow();   // deregisters the cancelled keys, so the channels may block again
        for (Connection c : new ArrayList<>(detaching)) {
            connections.remove(c);
            c.stage = Stage.DONE;
            try {
                c.channel.configureBlocking(true);
            } catch (IOException e) {
                closeQuietly(c.channel);
                continue;
            }
            c.onDetached.accept(new Detached(c.channel.socket(), c.session, c.remote));
        }
        detaching.clear();
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // dropping it
        }
    }

    /** One accepted connection; its methods run on the gate thread only. */
    final class Connection {
        private final SocketChannel channel;
        private final String remote;
        private final long acceptedAt = System.nanoTime();
        private final Handshake.Server handshake = new Handshake.Server(security, purpose, context, random);
        private SelectionKey key;
        private Stage stage = Stage.HELLO;
        private long deadline = acceptedAt + Limits.HANDSHAKE_NANOS;
        private ByteBuffer in = ByteBuffer.allocate(Handshake.CLIENT_HELLO_BYTES);
        private ByteBuffer out;
        private byte[] frame;
        private Frames.Header header;
        private Handshake.Session session;
        private Consumer<Detached> onDetached;
        private boolean prefixChecked;

        private Connection(SocketChannel channel) {
            this.channel = channel;
            SocketAddress a = null;
            try {
                a = channel.getRemoteAddress();
            } catch (IOException ignored) {
                // already gone: it will fail on its first read
            }
            this.remote = String.valueOf(a);
        }

        String remote() {
            return remote;
        }

        /** The first frame's header (after {@link Admission#admit}). */
        Frames.Header header() {
            return header;
        }

        /** The first frame's body. */
        byte[] body() {
            byte[] b = new byte[header.count()];
            System.arraycopy(frame, Frames.HEADER_BYTES, b, 0, b.length);
            return b;
        }

        /** Closes it, counted and logged as {@code kind}. */
        void refuse(String kind, String detail) {
            log.refused(kind, remote, detail);
            close();
        }

        /** Keeps it open until the owner answers or {@code deadlineNanos} passes ({@link Admission#expired}). */
        void park(long deadlineNanos) {
            if (parked >= Limits.MAX_PARKED) {
                refuse("too many waiting connections", Limits.MAX_PARKED + " connections are waiting already");
                return;
            }
            parked++;
            stage = Stage.PARKED;
            deadline = deadlineNanos;
            in = ByteBuffer.allocate(1);   // only to notice the client going away
            key.interestOps(SelectionKey.OP_READ);
        }

        boolean isParked() {
            return stage == Stage.PARKED;
        }

        boolean isOpen() {
            return stage != Stage.DONE;
        }

        /**
         * Sends one control frame; then closes the connection once the client has read it (its EOF),
         * or with {@code thenDetach} hands it over as a blocking socket.
         */
        void answer(int op, byte[] body, Consumer<Detached> thenDetach) {
            if (stage == Stage.DONE) {
                return;
            }
            if (stage == Stage.PARKED) {
                parked--;
            }
            byte[] buf = new byte[Frames.HEADER_BYTES + body.length + Frames.TAG_BYTES];
            Frames.Header.control(op, body.length).write(buf);
            System.arraycopy(body, 0, buf, Frames.HEADER_BYTES, body.length);
            out = ByteBuffer.wrap(buf, 0, session.out().seal(buf, body.length));
            onDetached = thenDetach;
            stage = Stage.ANSWERING;
            deadline = System.nanoTime() + LINGER_NANOS;
            key.interestOps(SelectionKey.OP_WRITE);
            try {
                flush();
            } catch (IOException e) {
                close();
            }
        }

        void close() {
            if (stage == Stage.DONE) {
                return;
            }
            if (stage.compareTo(Stage.ADMITTING) < 0) {
                handshaking--;
            } else if (stage == Stage.PARKED) {
                parked--;
            }
            stage = Stage.DONE;
            connections.remove(this);
            if (key != null) {
                key.cancel();
            }
            closeQuietly(channel);
        }

        private void read() throws IOException {
            int n = channel.read(in);
            if (n < 0) {
                if (stage.compareTo(Stage.ADMITTING) < 0) {
                    refuse("incomplete handshake", "closed after " + in.position() + " bytes of " + stage);
                } else {
                    close();   // parked or lingering: the client is done or gone
                }
                return;
            }
            if (stage == Stage.HELLO && !prefixChecked && in.position() >= Handshake.PREFIX_BYTES) {
                prefixChecked = true;
                Handshake.Refusal r = Handshake.Server.checkPrefix(in.array());
                if (r != null) {
                    refuse(r.kind(), r.detail());
                    return;
                }
            }
            if (in.hasRemaining()) {
                return;
            }
            switch (stage) {
                case HELLO -> {
                    Handshake.Server.Answer a = handshake.answer(in.array());
                    if (a.refusal() != null) {
                        refuse(a.refusal().kind(), a.refusal().detail());
                        return;
                    }
                    out = ByteBuffer.wrap(a.hello());
                    stage = Stage.PROOF;
                    in = ByteBuffer.allocate(Handshake.PROOF_BYTES);
                    flush();
                }
                case PROOF -> {
                    session = handshake.verify(in.array());
                    if (session == null) {
                        refuse("authentication", "no proof of the job secret over this listener's nonce"
                                + " (wrong secret, or a replayed handshake)");
                        return;
                    }
                    stage = Stage.FIRST_HEADER;
                    in = ByteBuffer.allocate(Frames.HEADER_BYTES);
                }
                case FIRST_HEADER -> {
                    try {
                        header = Frames.read(in.array(), Limits.MAX_FIRST_FRAME_BODY);
                    } catch (IOException e) {
                        refuse("bad first frame", e.getMessage());
                        return;
                    }
                    frame = new byte[Frames.HEADER_BYTES + header.bodyBytes() + Frames.TAG_BYTES];
                    System.arraycopy(in.array(), 0, frame, 0, Frames.HEADER_BYTES);
                    in = ByteBuffer.wrap(frame, Frames.HEADER_BYTES, header.bodyBytes() + Frames.TAG_BYTES);
                    stage = Stage.FIRST_BODY;
                    read();   // the body is usually there already
                }
                case FIRST_BODY -> {
                    try {
                        session.in().open(frame, header.bodyBytes());
                    } catch (IOException e) {
                        refuse("bad first frame", e.getMessage());
                        return;
                    }
                    handshaking--;
                    stage = Stage.ADMITTING;
                    key.interestOps(0);
                    admission.admit(this);
                    if (stage == Stage.ADMITTING) {
                        close();   // the owner took no decision: never leave it half-open
                    }
                }
                case PARKED -> refuse("protocol", "sent data while waiting for its answer");
                case LINGER -> in.clear();
                default -> {
                }
            }
        }

        private void flush() throws IOException {
            if (out == null) {
                return;
            }
            channel.write(out);
            if (out.hasRemaining()) {
                key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
                return;
            }
            out = null;
            if (stage == Stage.ANSWERING) {
                if (onDetached != null) {
                    key.cancel();
                    detaching.add(this);
                } else {
                    // half-close and wait for the client's EOF, so closing never resets unread data
                    channel.shutdownOutput();
                    stage = Stage.LINGER;
                    in = ByteBuffer.allocate(256);
                    key.interestOps(SelectionKey.OP_READ);
                }
            } else {
                key.interestOps(SelectionKey.OP_READ);
            }
        }
    }
}
