package org.syncbn.collective;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP relay on loopback in front of one target: what a machine in the middle can do to the
 * client-to-target stream of every connection (record it, flip a byte at an offset, stop
 * forwarding at an offset and hold the connection open).
 */
final class Relay implements AutoCloseable {
    /** What happens to the client's bytes; offsets count from the connection's first byte. */
    record Plan(long flipAt, long holdAt) {
        static Plan passThrough() {
            return new Plan(-1, -1);
        }
    }

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Plan plan;
    private final List<Socket> sockets = new ArrayList<>();
    private final ByteArrayOutputStream firstConnection = new ByteArrayOutputStream();
    private volatile boolean closed;

    Relay(InetSocketAddress target, Plan plan) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.target = target;
        this.plan = plan;
        Thread t = new Thread(this::acceptLoop, "test-relay");
        t.setDaemon(true);
        t.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    /** The client-to-target bytes of the first connection so far. */
    synchronized byte[] recorded() {
        return firstConnection.toByteArray();
    }

    private void acceptLoop() {
        boolean first = true;
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                upstream.connect(target, 5000);
                synchronized (this) {
                    sockets.add(client);
                    sockets.add(upstream);
                }
                boolean record = first;
                first = false;
                pump(client, upstream, true, record);
                pump(upstream, client, false, false);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to, boolean clientToTarget, boolean record) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            long offset = 0;
            try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buf)) > 0; ) {
                    if (clientToTarget && plan.holdAt() >= 0 && offset + n > plan.holdAt()) {
                        out.write(buf, 0, (int) Math.max(0, plan.holdAt() - offset));
                        out.flush();
                        while (!closed && in.read(buf) > 0) {
                            // swallow the rest: the target waits mid-frame
                        }
                        break;
                    }
                    if (clientToTarget && plan.flipAt() >= offset && plan.flipAt() < offset + n) {
                        buf[(int) (plan.flipAt() - offset)] ^= 0x10;
                    }
                    if (record) {
                        synchronized (this) {
                            firstConnection.write(buf, 0, n);
                        }
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    offset += n;
                }
            } catch (IOException ignored) {
                // either side went away
            } finally {
                closeQuietly(to);
                closeQuietly(from);
            }
        }, "test-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // test cleanup
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        synchronized (this) {
            sockets.forEach(Relay::closeQuietly);
        }
    }
}
