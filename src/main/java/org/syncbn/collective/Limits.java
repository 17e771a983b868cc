package org.syncbn.collective;

import java.util.concurrent.TimeUnit;

/**
 * The hard limits of the protocol. Each is checked before anything sized by a peer's field is
 * allocated, in {@code long} arithmetic where a product could overflow; a connection that breaks
 * one is dropped (before authentication) or fails its operation (after).
 */
final class Limits {
    /** Members of one collective; the group tag keeps the size in 16 bits. */
    static final int MAX_WORLD = 1024;
    /** Elements of one array (2 GiB of doubles): beyond anything a layer holds. */
    static final int MAX_ELEMENTS = 1 << 28;
    /** Payload bytes of one frame: arrays travel in chunks of at most this. */
    static final int MAX_FRAME_BODY = 1 << 20;
    /** Payload bytes of the first frame after the handshake (mesh hello, rendezvous request). */
    static final int MAX_FIRST_FRAME_BODY = 4096;
    /** Bytes of a rendezvous token and of one task's message ("rank@host:port"). */
    static final int MAX_TOKEN_BYTES = 256;
    static final int MAX_MESSAGE_BYTES = 512;
    /** From accept to the first authenticated frame: a few seconds, far more than a real handshake needs. */
    static final long HANDSHAKE_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** Connections per listener still in their handshake; the oldest is dropped to admit a new one. */
    static final int MAX_PENDING_HANDSHAKES = 64;
    /**
     * The kernel's queue of connections not yet accepted. Larger than the handshakes we hold, so a
     * gate starved of CPU for a moment does not make the kernel drop a real peer's SYN (a 1 s retry).
     */
    static final int LISTEN_BACKLOG = 4 * MAX_PENDING_HANDSHAKES;
    /** Authenticated connections one listener holds while they wait (rendezvous members). */
    static final int MAX_PARKED = 4 * MAX_WORLD;

    private Limits() {
    }
}
