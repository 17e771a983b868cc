package org.syncbn.collective;

import java.io.InterruptedIOException;
import java.util.concurrent.locks.LockSupport;

/**
 * One member's outgoing link of a given rate, shared by all its connections: a frame of b bytes
 * occupies the link for b / rate, and its sender hands it over when the frames before it have left
 * (the write happens while the link carries it, as a NIC takes a frame while it sends it).
 * Benchmarks emulate, on loopback, a network slower than the machine's CPUs with it
 * (bench/AllReduceBandwidthBench); a rate of 0 is no link limit. Safe for the member's concurrent
 * sender threads.
 */
public final class SendPacer {
    private final double nanosPerByte;
    private long busyUntil;   // guarded by this: when the link is free again (System.nanoTime)

    /** @param bytesPerSecond the link's rate; 0 for none */
    public SendPacer(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("send rate " + bytesPerSecond + " bytes/s: expected >= 0");
        }
        this.nanosPerByte = bytesPerSecond == 0 ? 0 : 1e9 / bytesPerSecond;
    }

    /** Waits until the link is free for {@code bytes} behind everything taken before; at once without a limit. */
    public void take(long bytes) throws InterruptedIOException {
        if (nanosPerByte == 0) {
            return;
        }
        long start;
        synchronized (this) {
            start = Math.max(busyUntil, System.nanoTime());
            busyUntil = start + (long) (bytes * nanosPerByte);
        }
        for (long left; (left = start - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while pacing a send");
            }
        }
    }
}
