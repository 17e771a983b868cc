package org.syncbn.collective;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * One socket of the mesh. Frames are written whole (one pre-encoded byte array, so the output
 * needs no buffer); input is buffered, and every read is bounded by the current operation's
 * deadline.
 */
final class PeerConnection implements AutoCloseable {
    static final int MAGIC = 0x53424E43;   // "SBNC"
    static final int VERSION = 1;

    /** What each side of a new connection announces. */
    record Hello(int magic, int version, int rank, int size) {
    }

    private final Socket socket;
    private final DeadlineInputStream deadlineIn;
    private final DataInputStream in;
    private final OutputStream out;

    PeerConnection(Socket socket) throws IOException {
        this.socket = socket;
        socket.setTcpNoDelay(true);   // small messages, latency-bound: never wait for Nagle
        this.deadlineIn = new DeadlineInputStream(socket);
        this.in = new DataInputStream(new BufferedInputStream(deadlineIn, 1 << 16));
        this.out = socket.getOutputStream();
    }

    void send(byte[] frame) throws IOException {
        out.write(frame);
    }

    Frames.Frame receive(long deadlineNanos) throws IOException {
        deadlineIn.deadline(deadlineNanos);
        int tag = in.readInt();
        long seq = in.readLong();
        int op = in.readInt();
        int n = in.readInt();
        if (n < 0 || n > Frames.MAX_DOUBLES) {
            throw new IOException("corrupt stream: a message of " + n + " doubles");
        }
        byte[] payload = new byte[8 * n];
        in.readFully(payload);
        return new Frames.Frame(tag, seq, op, Frames.decode(payload, n));
    }

    void sendHello(int rank, int size) throws IOException {
        out.write(ByteBuffer.allocate(16).putInt(MAGIC).putInt(VERSION).putInt(rank).putInt(size).array());
    }

    /** Reads the peer's hello; stops after the magic if it is wrong (not one of ours: do not trust the rest). */
    Hello receiveHello(long deadlineNanos) throws IOException {
        deadlineIn.deadline(deadlineNanos);
        int magic = in.readInt();
        if (magic != MAGIC) {
            return new Hello(magic, -1, -1, -1);
        }
        return new Hello(magic, in.readInt(), in.readInt(), in.readInt());
    }

    String remote() {
        return String.valueOf(socket.getRemoteSocketAddress());
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is best effort: the peer sees EOF or a reset either way
        }
    }
}
