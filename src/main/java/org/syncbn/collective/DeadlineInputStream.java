package org.syncbn.collective;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * A socket's input whose every read waits at most until one deadline: SO_TIMEOUT is re-armed
 * with the time left before each read, so an operation as a whole, not each read, is bounded.
 */
final class DeadlineInputStream extends InputStream {
    private final Socket socket;
    private final InputStream in;
    private long deadlineNanos;

    DeadlineInputStream(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    void deadline(long nanoTime) {
        this.deadlineNanos = nanoTime;
    }

    @Override
    public int read() throws IOException {
        arm();
        return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        arm();
        return in.read(b, off, len);
    }

    private void arm() throws IOException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        // SO_TIMEOUT 0 would mean forever: never round down to it
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, (left + 999_999) / 1_000_000)));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
