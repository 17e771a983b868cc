package org.syncbn.collective;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;

/** A client that speaks the protocol by hand, to make the moves a real member never makes. */
final class RawPeer implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    final Socket socket;
    private Handshake.Session session;

    RawPeer(InetSocketAddress to) throws IOException {
        socket = new Socket();
        socket.connect(to, 5000);
        socket.setSoTimeout(10_000);
    }

    void write(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    /**
     * The client handshake under {@code security}; sends its proof even when the server's did not
     * check out (an attacker would). Returns the client-side refusal kind, or null when the server
     * proved the secret.
     */
    String authenticate(CollectiveSecurity security, Handshake.Purpose purpose, byte[] context) throws IOException {
        Handshake.Client c = new Handshake.Client(security, purpose, context, RANDOM);
        write(c.hello());
        byte[] serverHello = new byte[Handshake.SERVER_HELLO_BYTES];
        new DataInputStream(socket.getInputStream()).readFully(serverHello);
        Handshake.Client.Result r = c.finish(serverHello);
        if (r.refusal() != null) {
            byte[] forged = new byte[Handshake.PROOF_BYTES];
            RANDOM.nextBytes(forged);
            write(forged);
            return r.refusal().kind();
        }
        write(r.proof());
        session = r.session();
        return null;
    }

    /** A control frame sealed for this connection, as bytes (to send whole, in part, or altered). */
    byte[] sealed(int op, byte[] body) {
        return sealed(Frames.Header.control(op, body.length), body);
    }

    byte[] sealed(Frames.Header h, byte[] body) {
        byte[] buf = new byte[Frames.HEADER_BYTES + body.length + Frames.TAG_BYTES];
        h.write(buf);
        System.arraycopy(body, 0, buf, Frames.HEADER_BYTES, body.length);
        session.out().seal(buf, body.length);
        return buf;
    }

    /** The server's next control frame (its body), opened under this session. */
    byte[] readControl() throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] header = new byte[Frames.HEADER_BYTES];
        in.readFully(header);
        Frames.Header h = Frames.read(header, Limits.MAX_FRAME_BODY);
        byte[] buf = new byte[Frames.HEADER_BYTES + h.bodyBytes() + Frames.TAG_BYTES];
        System.arraycopy(header, 0, buf, 0, Frames.HEADER_BYTES);
        in.readFully(buf, Frames.HEADER_BYTES, h.bodyBytes() + Frames.TAG_BYTES);
        session.in().open(buf, h.bodyBytes());
        byte[] body = new byte[h.count()];
        System.arraycopy(buf, Frames.HEADER_BYTES, body, 0, body.length);
        return body;
    }

    /**
     * Reads until the server closes this connection (EOF or reset); returns the number of bytes it
     * sent before that, or -1 if it is still open after {@code millis}.
     */
    long bytesUntilClosed(long millis) throws IOException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        InputStream in = socket.getInputStream();
        byte[] sink = new byte[4096];
        long got = 0;
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return -1;
            }
            socket.setSoTimeout((int) left);
            try {
                int n = in.read(sink);
                if (n < 0) {
                    return got;
                }
                got += n;
            } catch (SocketTimeoutException e) {
                return -1;
            } catch (IOException e) {
                return got;   // reset
            }
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // test cleanup
        }
    }
}
