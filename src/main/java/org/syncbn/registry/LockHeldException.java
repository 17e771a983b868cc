package org.syncbn.registry;

/** Another live process holds a model's lock: this run did nothing and may be retried later. */
public final class LockHeldException extends RuntimeException {
    public LockHeldException(String message) {
        super(message);
    }
}
