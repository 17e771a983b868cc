package org.syncbn.collective;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The element types a collective moves, each in its own precision on the wire (little-endian,
 * the byte order of the machines we run on, so encoding is a plain copy). Arrays are passed as
 * {@code Object} ({@code double[]} or {@code float[]}) so one exchange serves both.
 */
enum ElementType {
    F64(Double.BYTES) {
        @Override
        Object newArray(int n) {
            return new double[n];
        }

        @Override
        int length(Object array) {
            return ((double[]) array).length;
        }

        @Override
        void encode(Object src, int from, int count, byte[] dst, int at) {
            ByteBuffer.wrap(dst, at, count * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer()
                    .put((double[]) src, from, count);
        }

        @Override
        void decode(byte[] src, int at, Object dst, int to, int count) {
            ByteBuffer.wrap(src, at, count * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer()
                    .get((double[]) dst, to, count);
        }

        @Override
        void add(Object src, int from, Object acc, int to, int count) {
            double[] s = (double[]) src;
            double[] a = (double[]) acc;
            for (int i = 0; i < count; i++) {
                a[to + i] += s[from + i];
            }
        }
    },
    F32(Float.BYTES) {
        @Override
        Object newArray(int n) {
            return new float[n];
        }

        @Override
        int length(Object array) {
            return ((float[]) array).length;
        }

        @Override
        void encode(Object src, int from, int count, byte[] dst, int at) {
            ByteBuffer.wrap(dst, at, count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                    .put((float[]) src, from, count);
        }

        @Override
        void decode(byte[] src, int at, Object dst, int to, int count) {
            ByteBuffer.wrap(src, at, count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                    .get((float[]) dst, to, count);
        }

        @Override
        void add(Object src, int from, Object acc, int to, int count) {
            float[] s = (float[]) src;
            float[] a = (float[]) acc;
            for (int i = 0; i < count; i++) {
                a[to + i] += s[from + i];
            }
        }
    };

    final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    abstract Object newArray(int n);

    abstract int length(Object array);

    /** Writes {@code src[from, from + count)} to {@code dst} at byte {@code at}. */
    abstract void encode(Object src, int from, int count, byte[] dst, int at);

    /** Reads {@code count} elements at byte {@code at} of {@code src} into {@code dst[to, to + count)}. */
    abstract void decode(byte[] src, int at, Object dst, int to, int count);

    /** {@code acc[to + i] += src[from + i]}: one addition per element, in this type's precision. */
    abstract void add(Object src, int from, Object acc, int to, int count);

    Object copyOf(Object array) {
        int n = length(array);
        Object c = newArray(n);
        System.arraycopy(array, 0, c, 0, n);
        return c;
    }
}
