package org.syncbn.serial;

/**
 * A Java-serialised stream that {@link AllowList#read} did not deserialise. The message names what
 * was refused: "class com.example.Gadget", or the limit that was passed.
 */
public final class RefusedStreamException extends RuntimeException {
    public RefusedStreamException(String refused) {
        super(refused);
    }

    public RefusedStreamException(String refused, Throwable cause) {
        super(refused, cause);
    }
}
