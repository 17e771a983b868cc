package org.syncbn.collective;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.security.SecureRandom;

/**
 * One authenticated connection over a blocking socket: frames out and in, each sealed or opened by
 * its direction's {@link FrameCipher}. Frames are written whole (one array, one write); input is
 * buffered, and every read is bounded by the caller's deadline. The send side and the receive
 * side may be used by two threads at once (a sender thread and the operation's reader), each by
 * one at a time.
 */
final class PeerConnection implements AutoCloseable {
    private final Socket socket;
    private final DeadlineInputStream deadlineIn;
    private final DataInputStream in;
    private final OutputStream out;
    private final FrameCipher sendCipher;
    private final FrameCipher receiveCipher;
    private byte[] sendBuffer = new byte[Frames.HEADER_BYTES + Frames.TAG_BYTES + 4096];
    private byte[] receiveBuffer = new byte[Frames.HEADER_BYTES + Frames.TAG_BYTES + 4096];
    private Frames.Header received;

    private PeerConnection(Socket socket, DeadlineInputStream deadlineIn, Handshake.Session session) throws IOException {
        this.socket = socket;
        socket.setTcpNoDelay(true);   // small messages, latency-bound: never wait for Nagle
        this.deadlineIn = deadlineIn;
        this.in = new DataInputStream(new BufferedInputStream(deadlineIn, 1 << 16));
        this.out = socket.getOutputStream();
        this.sendCipher = session.out();
        this.receiveCipher = session.in();
    }

    /** The server side, once a {@link Gate} has authenticated the connection. */
    static PeerConnection accepted(Socket socket, Handshake.Session session) throws IOException {
        return new PeerConnection(socket, new DeadlineInputStream(socket), session);
    }

    /**
     * The client side of the {@link Handshake} on a connected socket, bounded by {@code deadline}.
     *
     * @throws Refused if the server is not one of ours or cannot prove the secret
     * @throws IOException if the connection fails or the deadline passes first
     */
    static PeerConnection handshake(Socket socket, CollectiveSecurity security, Handshake.Purpose purpose, byte[] context,
                                    SecureRandom random, long deadline) throws IOException {
        DeadlineInputStream din = new DeadlineInputStream(socket);
        din.deadline(deadline);
        Handshake.Client client = new Handshake.Client(security, purpose, context, random);
        OutputStream o = socket.getOutputStream();
        o.write(client.hello());
        byte[] serverHello = new byte[Handshake.SERVER_HELLO_BYTES];
        new DataInputStream(din).readFully(serverHello);
        Handshake.Client.Result r = client.finish(serverHello);
        if (r.refusal() != null) {
            throw new Refused(r.refusal());
        }
        o.write(r.proof());
        return new PeerConnection(socket, din, r.session());
    }

    /** Sends {@code count} elements of {@code src} from {@code from} as one frame. */
    void send(Frames.Header h, ElementType type, Object src, int from) throws IOException {
        int body = h.count() * type.bytes;
        byte[] buf = sendBuffer(body);
        h.write(buf);
        type.encode(src, from, h.count(), buf, Frames.HEADER_BYTES);
        out.write(buf, 0, sendCipher.seal(buf, body));
    }

    /** Sends a control frame ({@link Frames#HELLO}, rendezvous request) carrying {@code body}. */
    void sendControl(int op, byte[] body) throws IOException {
        byte[] buf = sendBuffer(body.length);
        Frames.Header.control(op, body.length).write(buf);
        System.arraycopy(body, 0, buf, Frames.HEADER_BYTES, body.length);
        out.write(buf, 0, sendCipher.seal(buf, body.length));
    }

    /**
     * Reads, checks and opens the next frame, its body at most {@code maxBody} bytes; the body
     * stays readable through {@link #decodeBody}, {@link #addBody} or {@link #controlBody} until
     * the next receive.
     */
    Frames.Header receive(long deadlineNanos, int maxBody) throws IOException {
        deadlineIn.deadline(deadlineNanos);
        in.readFully(receiveBuffer, 0, Frames.HEADER_BYTES);
        Frames.Header h = Frames.read(receiveBuffer, maxBody);
        int body = h.bodyBytes();
        if (receiveBuffer.length < Frames.HEADER_BYTES + body + Frames.TAG_BYTES) {
            byte[] bigger = new byte[Frames.HEADER_BYTES + body + Frames.TAG_BYTES];
            System.arraycopy(receiveBuffer, 0, bigger, 0, Frames.HEADER_BYTES);
            receiveBuffer = bigger;
        }
        in.readFully(receiveBuffer, Frames.HEADER_BYTES, body + Frames.TAG_BYTES);
        receiveCipher.open(receiveBuffer, body);
        received = h;
        return h;
    }

    /** The last frame's elements into {@code dst[to, to + count)}. */
    void decodeBody(ElementType type, Object dst, int to) {
        type.decode(receiveBuffer, Frames.HEADER_BYTES, dst, to, received.count());
    }

    /** {@code acc[to + i] += element i} of the last frame, decoding through {@code scratch} (at least count long). */
    void addBody(ElementType type, Object acc, int to, Object scratch) {
        type.decode(receiveBuffer, Frames.HEADER_BYTES, scratch, 0, received.count());
        type.add(scratch, 0, acc, to, received.count());
    }

    byte[] controlBody() {
        byte[] b = new byte[received.count()];
        System.arraycopy(receiveBuffer, Frames.HEADER_BYTES, b, 0, b.length);
        return b;
    }

    String remote() {
        return String.valueOf(socket.getRemoteSocketAddress());
    }

    private byte[] sendBuffer(int body) {
        if (sendBuffer.length < Frames.HEADER_BYTES + body + Frames.TAG_BYTES) {
            sendBuffer = new byte[Frames.HEADER_BYTES + body + Frames.TAG_BYTES];
        }
        return sendBuffer;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is best effort: the peer sees EOF or a reset either way
        }
    }

    /** The server is not a member of this job's collective (another service, another version, wrong secret). */
    static final class Refused extends IOException {
        final Handshake.Refusal refusal;

        Refused(Handshake.Refusal refusal) {
            super(refusal.detail());
            this.refusal = refusal;
        }
    }
}
