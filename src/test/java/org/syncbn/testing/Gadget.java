package org.syncbn.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A class no allow-list names, standing for a deserialisation gadget: it counts every run of the code
 * deserialisation would execute for it (the no-arg constructor of its first non-serialisable
 * superclass, its readObject, its readResolve), so a test proves a refused stream ran none of it.
 */
public final class Gadget extends GadgetBase implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
    /** Runs of the code deserialisation would execute; a test reads it before and after. */
    public static final AtomicInteger RUNS = new AtomicInteger();

    private final String payload;

    public Gadget(String payload) {
        this.payload = payload;
    }

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        RUNS.incrementAndGet();
        in.defaultReadObject();
    }

    @Serial
    private Object readResolve() {
        RUNS.incrementAndGet();
        return this;
    }

    /** Java serialisation of {@code value}. */
    public static byte[] serialized(Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Override
    public String toString() {
        return "Gadget(" + payload + ")";
    }
}
