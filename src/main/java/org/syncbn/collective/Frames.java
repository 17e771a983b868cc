package org.syncbn.collective;

import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The frame format after the handshake. A frame is a 32-byte header, a body of
 * {@code count} elements, and a 16-byte AES-GCM tag ({@link FrameCipher}). Header, little-endian:
 * {@code int op, int tag, long seq, int total, int offset, int count, int flags}.
 *
 * <p>An array of {@code total} elements travels as chunks {@code [offset, offset + count)}; a
 * member's message to one peer for one operation ends with a frame flagged {@link #PART_END}
 * (the part every member sends even when the operation is abandoned, e.g. over mismatched
 * lengths) and {@link #LAST} (the end of the message). The tag names the group,
 * {@code [offset, offset + size)}, so sub-collectives sharing a connection never take each
 * other's frames; seq and op catch members whose operation sequences diverged.
 */
final class Frames {
    static final int HEADER_BYTES = 32;
    static final int TAG_BYTES = 16;
    static final int PART_END = 1;
    static final int LAST = 2;

    /** Control frames: byte bodies, outside any operation sequence. */
    static final int HELLO = 0x101;
    static final int RENDEZVOUS_REQUEST = 0x102;
    static final int RENDEZVOUS_REPLY = 0x103;

    private Frames() {
    }

    /** A frame's header; {@code count} elements of {@link #elementBytes} bytes follow. */
    record Header(int op, int tag, long seq, int total, int offset, int count, int flags) {
        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        int bodyBytes() {
            return count * elementBytes(op);
        }

        void write(byte[] buf) {
            ByteBuffer.wrap(buf, 0, HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(op).putInt(tag).putLong(seq).putInt(total).putInt(offset).putInt(count).putInt(flags);
        }

        /** A control frame carrying {@code body} whole. */
        static Header control(int op, int length) {
            return new Header(op, 0, 0, length, 0, length, PART_END | LAST);
        }
    }

    /**
     * The header at the start of {@code buf}, checked against the hard limits before anyone
     * allocates by it: a known op, {@code 0 <= offset <= offset + count <= total <= MAX_ELEMENTS}
     * and a body of at most {@code maxBody} bytes, all without overflow.
     */
    static Header read(byte[] buf, int maxBody) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        Header h = new Header(b.getInt(), b.getInt(), b.getLong(), b.getInt(), b.getInt(), b.getInt(), b.getInt());
        int size = elementBytes(h.op());
        if (size == 0) {
            throw new ProtocolException("a frame of unknown operation " + h.op());
        }
        if (h.total() < 0 || h.total() > Limits.MAX_ELEMENTS || h.offset() < 0 || h.count() < 0
                || (long) h.offset() + h.count() > h.total() || (long) h.count() * size > maxBody
                || (h.flags() & ~(PART_END | LAST)) != 0) {
            throw new ProtocolException("a frame outside the limits: " + h);
        }
        return h;
    }

    /** Bytes per element of the op's type; 1 for control frames, 0 for an unknown op. */
    static int elementBytes(int op) {
        Op o = Op.ofCode(op);
        if (o != null) {
            return o.type.bytes;
        }
        return op == HELLO || op == RENDEZVOUS_REQUEST || op == RENDEZVOUS_REPLY ? 1 : 0;
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
        return op == null ? "frame type " + code : op.toString();
    }
}
