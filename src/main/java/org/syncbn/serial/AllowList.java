package org.syncbn.serial;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one Java-serialised stream may hold (JEP 290): the classes by exact name, plus primitives and
 * arrays of allowed types, within limits on nesting depth, back references, array length and stream
 * bytes. {@link #read} runs an {@link ObjectInputStream} with a filter of its own (per stream, never
 * JVM-wide: Spark deserialises its own classes in the same JVM), which rejects a class when its
 * descriptor is read: before the class is initialised or any instance exists, so no constructor,
 * {@code readObject} or {@code readResolve} of a refused class ever runs.
 *
 * @param what           what the stream is, for messages ("a model zip")
 * @param classes        the allowed classes, by binary name
 * @param maxDepth       deepest nesting of objects
 * @param maxReferences  objects and back references in the stream
 * @param maxArrayLength elements of any one array
 * @param maxBytes       bytes of the stream
 */
public record AllowList(String what, Set<String> classes, int maxDepth, long maxReferences, long maxArrayLength,
                        long maxBytes) {

    /** The first bytes of every Java serialisation stream (STREAM_MAGIC, STREAM_VERSION 5). */
    private static final byte[] MAGIC = {(byte) 0xAC, (byte) 0xED, 0x00, 0x05};

    public AllowList {
        Objects.requireNonNull(what, "what");
        classes = Set.copyOf(classes);
    }

    /** Whether {@code bytes} start like a Java serialisation stream (so something would deserialise them). */
    public static boolean isJavaSerialized(byte[] bytes) {
        if (bytes.length < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The one object {@code stream} holds.
     *
     * @throws RefusedStreamException naming the class or the limit, when the stream holds anything
     *         else or more; also when it is not a whole, well-formed stream
     */
    public Object read(byte[] stream) {
        if (stream.length > maxBytes) {
            throw new RefusedStreamException(stream.length + " bytes, more than the " + maxBytes + " " + what + " may hold");
        }
        Filter filter = new Filter();
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(stream))) {
            in.setObjectInputFilter(filter);
            Object value = in.readObject();
            if (in.read() != -1) {
                throw new RefusedStreamException("bytes after its object");
            }
            return value;
        } catch (InvalidClassException e) {
            // the filter's refusal (or a class whose serial form changed): name what was refused
            throw new RefusedStreamException(filter.refusal != null ? filter.refusal : e.getMessage(), e);
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            if (e instanceof RefusedStreamException r) {
                throw r;
            }
            throw new RefusedStreamException(filter.refusal != null ? filter.refusal
                    : "not a well-formed serialised object (" + e + ")", e);
        }
    }

    /** "java.lang.String, ..." for messages. */
    public String describe() {
        return String.join(", ", new TreeSet<>(classes)) + ", primitives and arrays of these";
    }

    /** The filter of one stream: the first refusal is kept for the message (per stream, so no shared state). */
    private final class Filter implements ObjectInputFilter {
        private String refusal;

        @Override
        public Status checkInput(FilterInfo info) {
            if (info.depth() > maxDepth) {
                return refuse("objects nested " + info.depth() + " deep, more than " + maxDepth);
            }
            if (info.references() > maxReferences) {
                return refuse(info.references() + " objects, more than " + maxReferences);
            }
            if (info.arrayLength() > maxArrayLength) {
                return refuse("an array of " + info.arrayLength() + " elements, more than " + maxArrayLength);
            }
            if (info.streamBytes() > maxBytes) {
                return refuse(info.streamBytes() + " bytes, more than " + maxBytes);
            }
            Class<?> type = info.serialClass();
            if (type == null) {
                return Status.ALLOWED;   // a limits-only call (a back reference, an array's length)
            }
            while (type.isArray()) {
                type = type.getComponentType();
            }
            if (type.isPrimitive() || classes.contains(type.getName())) {
                return Status.ALLOWED;
            }
            return refuse("class " + info.serialClass().getName());
        }

        private Status refuse(String what) {
            if (refusal == null) {
                refusal = what;
            }
            return Status.REJECTED;
        }
    }
}
