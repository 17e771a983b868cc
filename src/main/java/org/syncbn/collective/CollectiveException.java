package org.syncbn.collective;

/**
 * A collective operation failed: a peer closed or died, a peer did not show up within the
 * timeout, or the members' operation sequences diverged. The message says which member, which
 * operation and why, e.g. {@code rank 1: allGather #12 timed out after 30 s waiting for rank 0}.
 */
public final class CollectiveException extends RuntimeException {
    public CollectiveException(String message) {
        super(message);
    }

    public CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
