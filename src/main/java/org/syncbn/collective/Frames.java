package org.syncbn.collective;

import java.nio.ByteBuffer;

/**
 * The wire format of one operation's message (big-endian): {@code int tag, long seq, int op,
 * int n, n doubles}. The tag names the group, {@code [offset, offset + size)}, so sub-collectives
 * sharing a connection never take each other's messages; seq and op catch members whose operation
 * sequences diverged.
 */
final class Frames {
    static final int HEADER_BYTES = 4 + 8 + 4 + 4;
    /** Far beyond any BN payload; a larger count means a corrupt stream, not a real message. */
    static final int MAX_DOUBLES = 1 << 28;

    private Frames() {
    }

    /** A received message. */
    record Frame(int tag, long seq, int op, double[] data) {
    }

    static int tag(int offset, int size) {
        return offset << 16 | size;
    }

    static String describeTag(int tag) {
        int offset = tag >>> 16;
        return "[" + offset + ", " + (offset + (tag & 0xFFFF)) + ")";
    }

    static String describeOp(int code) {
        Op op = Op.ofCode(code);
        return op == null ? "unknown operation " + code : op.toString();
    }

    static byte[] encode(int tag, long seq, Op op, double[] data) {
        byte[] frame = new byte[HEADER_BYTES + 8 * data.length];
        ByteBuffer b = ByteBuffer.wrap(frame);
        b.putInt(tag).putLong(seq).putInt(op.code).putInt(data.length);
        b.asDoubleBuffer().put(data);
        return frame;
    }

    static double[] decode(byte[] payload, int n) {
        double[] data = new double[n];
        ByteBuffer.wrap(payload).asDoubleBuffer().get(data);
        return data;
    }
}
