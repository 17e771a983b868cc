package org.syncbn.collective;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A rendezvous server on the driver, replacing Spark's barrier {@code allGather} (which costs
 * ~1 s per call in Spark 3.5) for the once-per-round exchange of the workers' socket addresses.
 *
 * <p>Protocol, one connection per task: the task sends (magic, token, rank, size, message); when
 * all {@code size} ranks of a token have registered, every one of them receives all messages in
 * rank order. A token never completes twice: a re-run stage uses a new token (stage attempt).
 */
public final class DriverRendezvous implements AutoCloseable {
    private static final int MAGIC = 0x53424e52;   // "SBNR"

    private final ServerSocket server;
    private final ExecutorService handlers;
    private final Map<String, Meeting> meetings = new ConcurrentHashMap<>();
    /** Token prefixes of failed stage attempts: their late tasks are turned away at once. */
    private final Map<String, String> aborted = new ConcurrentHashMap<>();
    private final Duration timeout;
    private volatile boolean closed;

    private static final class Meeting {
        final String[] messages;
        final CountDownLatch complete;
        volatile String abortReason;

        Meeting(int size) {
            messages = new String[size];
            complete = new CountDownLatch(size);
        }
    }

    private DriverRendezvous(ServerSocket server, Duration timeout) {
        this.server = server;
        this.timeout = timeout;
        this.handlers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "syncbn-rendezvous");
            t.setDaemon(true);
            return t;
        });
        handlers.submit(this::acceptLoop);
    }

    /** Starts a server on {@code host} (an ephemeral port); tasks wait at most {@code timeout} for their peers. */
    public static DriverRendezvous start(String host, Duration timeout) {
        try {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(host, 0), 256);
            return new DriverRendezvous(s, timeout);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the rendezvous server on " + host, e);
        }
    }

    /** "host:port" for the tasks. */
    public String address() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                handlers.submit(() -> serve(s));
            } catch (IOException e) {
                if (!closed) {
                    continue;
                }
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            if (in.readInt() != MAGIC) {
                return;
            }
            String token = in.readUTF();
            int rank = in.readInt();
            int size = in.readInt();
            String message = in.readUTF();
            String abortReason = abortReasonOf(token);
            if (abortReason != null) {
                out.writeInt(-1);
                out.writeUTF("rendezvous " + token + " was aborted: " + abortReason);
                return;
            }
            Meeting m = meetings.computeIfAbsent(token, t -> new Meeting(size));
            synchronized (m) {
                if (size != m.messages.length || rank < 0 || rank >= size || m.messages[rank] != null) {
                    out.writeInt(-1);
                    out.writeUTF("rank " + rank + " of " + size + " does not fit token " + token);
                    return;
                }
                m.messages[rank] = message;
            }
            m.complete.countDown();
            if (!m.complete.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                out.writeInt(-1);
                out.writeUTF("rendezvous " + token + ": only " + (size - m.complete.getCount()) + " of " + size
                        + " tasks arrived within " + timeout.toSeconds() + " s");
                return;
            }
            if (m.abortReason != null) {
                out.writeInt(-1);
                out.writeUTF("rendezvous " + token + " was aborted: " + m.abortReason);
                return;
            }
            out.writeInt(size);
            for (String msg : m.messages) {
                out.writeUTF(msg);
            }
            out.flush();
            // Wait until the task has read the reply (it closes first), so the data is never cut off.
            in.read();
        } catch (IOException | InterruptedException e) {
            // the task sees its connection fail and reports it; nothing to keep here
        }
    }

    /**
     * Task side: registers {@code message} as {@code rank} of {@code size} under {@code token} and
     * returns all ranks' messages, in rank order.
     */
    public static String[] exchange(String driverAddress, String token, int rank, int size, String message,
                                    Duration timeout) {
        int colon = driverAddress.lastIndexOf(':');
        InetSocketAddress addr = new InetSocketAddress(driverAddress.substring(0, colon),
                Integer.parseInt(driverAddress.substring(colon + 1)));
        try (Socket s = new Socket()) {
            int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
            s.connect(addr, millis);
            s.setTcpNoDelay(true);
            s.setSoTimeout(millis + 5_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(MAGIC);
            out.writeUTF(token);
            out.writeInt(rank);
            out.writeInt(size);
            out.writeUTF(message);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int n = in.readInt();
            if (n < 0) {
                throw new CollectiveException("rank " + rank + ": " + in.readUTF());
            }
            String[] all = new String[n];
            for (int i = 0; i < n; i++) {
                all[i] = in.readUTF();
            }
            return all;
        } catch (SocketTimeoutException e) {
            throw new CollectiveException("rank " + rank + ": rendezvous at " + driverAddress + " timed out after "
                    + timeout.toSeconds() + " s");
        } catch (IOException e) {
            throw new CollectiveException("rank " + rank + ": rendezvous at " + driverAddress + " failed: " + e);
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
        aborted.put(tokenPrefix, reason);
        meetings.forEach((token, m) -> {
            if (token.startsWith(tokenPrefix)) {
                m.abortReason = reason;
                while (m.complete.getCount() > 0) {
                    m.complete.countDown();
                }
            }
        });
    }

    /** Forgets the meetings of finished rounds (tokens with the given prefix). */
    public void forget(String tokenPrefix) {
        meetings.keySet().removeIf(t -> t.startsWith(tokenPrefix));
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing; the accept loop ends either way
        }
        handlers.shutdownNow();
    }
}
