package org.syncbn.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

import org.syncbn.config.SpecException;

/**
 * Reads an IDX image file (magic 0x00000803: unsigned bytes, 3 dimensions count x rows x cols)
 * and its IDX label file (magic 0x00000801: unsigned bytes, 1 dimension count), as
 * MNIST / Fashion-MNIST ship them. Each file may be gzip-compressed or plain; compression is
 * detected from the gzip magic bytes 0x1f 0x8b, never from the file name.
 *
 * <p>Every defect (bad magic, dimension &lt;= 0, truncation, trailing bytes, count mismatch,
 * label outside [0, numClasses), corrupt gzip, missing file) is a one-line
 * {@link SpecException} naming the file.
 */
public final class IdxReader {

    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int BUFFER = 1 << 16;
    /** Arrays up to this size are allocated at once; beyond it they grow as data actually arrives. */
    private static final int EAGER_ALLOC = 64 << 20;
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private IdxReader() {}

    /**
     * Reads {@code dir/imagesName} and {@code dir/labelsName} (see {@link DataFiles#resolve}).
     *
     * @param numClasses every label must lie in [0, numClasses).
     */
    public static LabeledImages read(String dir, String imagesName, String labelsName, int numClasses) {
        if (numClasses <= 0) {
            throw new SpecException("numClasses = " + numClasses + " for labels file "
                    + DataFiles.oneLine(DataFiles.resolve(dir, labelsName)) + ": expected > 0");
        }
        String imagesPath = DataFiles.oneLine(DataFiles.resolve(dir, imagesName));
        String labelsPath = DataFiles.oneLine(DataFiles.resolve(dir, labelsName));

        int count;
        int rows;
        int cols;
        byte[] pixels;
        try (Source src = Source.open(dir, imagesName, "images file " + imagesPath)) {
            int[] dims = src.header(IMAGES_MAGIC, new String[] {"count", "rows", "cols"});
            count = dims[0];
            rows = dims[1];
            cols = dims[2];
            long n = (long) count * rows * cols;
            if (n > MAX_ARRAY) {
                throw new SpecException(src.what + ": header announces " + count + "x" + rows + "x" + cols + " = " + n
                        + " pixel bytes, expected at most " + MAX_ARRAY + " (one Java array)");
            }
            pixels = src.data((int) n, count + "x" + rows + "x" + cols + " = " + n + " bytes of pixel data");
            src.expectEnd(n);
        }

        byte[] labels;
        try (Source src = Source.open(dir, labelsName, "labels file " + labelsPath)) {
            int labelCount = src.header(LABELS_MAGIC, new String[] {"count"})[0];
            if (labelCount != count) {
                throw new SpecException("images file " + imagesPath + " has " + count + " images but labels file "
                        + labelsPath + " has " + labelCount + " labels: expected equal counts");
            }
            labels = src.data(labelCount, labelCount + " bytes of label data");
            src.expectEnd(labelCount);
            for (int i = 0; i < labels.length; i++) {
                int v = labels[i] & 0xFF;
                if (v >= numClasses) {
                    throw new SpecException(src.what + ": example " + i + " has label " + v + ", expected 0.."
                            + (numClasses - 1) + " (numClasses = " + numClasses + ")");
                }
            }
        }
        return LabeledImages.wrap(count, new ImageShape(1, rows, cols), pixels, labels);
    }

    /** One opened IDX stream, decompressed when it starts with the gzip magic. */
    private static final class Source implements AutoCloseable {
        final String what;
        private final InputStream raw;
        private final InputStream in;
        private final boolean gzip;

        private Source(String what, InputStream raw, InputStream in, boolean gzip) {
            this.what = what;
            this.raw = raw;
            this.in = in;
            this.gzip = gzip;
        }

        static Source open(String dir, String name, String what) {
            InputStream raw = DataFiles.open(dir, name);
            try {
                BufferedInputStream buffered = new BufferedInputStream(raw, BUFFER);
                buffered.mark(2);
                int b0 = buffered.read();
                int b1 = buffered.read();
                buffered.reset();
                if (b0 == 0x1f && b1 == 0x8b) {
                    try {
                        return new Source(what, raw, new GZIPInputStream(buffered, BUFFER), true);
                    } catch (IOException e) {
                        throw new SpecException(what + ": corrupt gzip data: " + DataFiles.describe(e), e);
                    }
                }
                return new Source(what, raw, buffered, false);
            } catch (IOException e) {
                closeQuietly(raw);
                throw new SpecException(what + ": cannot read: " + DataFiles.describe(e), e);
            } catch (RuntimeException e) {
                closeQuietly(raw);
                throw e;
            }
        }

        /** Reads and checks the magic and the dimensions (each &gt; 0); returns the dimensions. */
        int[] header(int expectedMagic, String[] dimNames) {
            int headerBytes = 4 + 4 * dimNames.length;
            byte[] h = new byte[headerBytes];
            int got = fill(h, 0, 4);
            if (got < 4) {
                throw truncatedHeader(headerBytes, got);
            }
            int magic = readInt(h, 0);
            if (magic != expectedMagic) {
                String hint = "";
                if (magic == LABELS_MAGIC && expectedMagic == IMAGES_MAGIC) {
                    hint = "; that is the IDX labels magic: are the images and labels files swapped?";
                } else if (magic == IMAGES_MAGIC && expectedMagic == LABELS_MAGIC) {
                    hint = "; that is the IDX images magic: are the images and labels files swapped?";
                }
                throw new SpecException(what + ": magic number " + hex(magic) + ", expected " + hex(expectedMagic)
                        + " (IDX unsigned byte, " + dimNames.length + " dimension" + (dimNames.length == 1 ? "" : "s")
                        + ")" + hint);
            }
            got += fill(h, 4, headerBytes - 4);
            if (got < headerBytes) {
                throw truncatedHeader(headerBytes, got);
            }
            int[] dims = new int[dimNames.length];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = readInt(h, 4 + 4 * i);
                if (dims[i] <= 0) {
                    throw new SpecException(what + ": dimension " + i + " (" + dimNames[i] + ") is " + dims[i]
                            + ", expected > 0");
                }
            }
            return dims;
        }

        private SpecException truncatedHeader(int headerBytes, int got) {
            return new SpecException(what + " is truncated: expected a " + headerBytes + "-byte IDX header, found "
                    + got + " bytes");
        }

        /** Reads exactly {@code n} data bytes, or fails naming how many the header announced and were found. */
        byte[] data(int n, String announced) {
            byte[] buf = new byte[Math.min(n, EAGER_ALLOC)];
            int got = 0;
            while (true) {
                got += fill(buf, got, buf.length - got);
                if (got < buf.length || buf.length == n) {
                    break;
                }
                // grown only as far as real data arrives, so a corrupt header cannot allocate gigabytes
                buf = Arrays.copyOf(buf, (int) Math.min(n, 2L * buf.length));
            }
            if (got < n) {
                throw new SpecException(what + " is truncated: header announces " + announced + ", found " + got
                        + " bytes");
            }
            return buf;
        }

        /** Fails when anything follows the {@code announced} data bytes. */
        void expectEnd(long announced) {
            byte[] skip = new byte[BUFFER];
            long extra = 0;
            int n;
            while ((n = fill(skip, 0, skip.length)) > 0) {
                extra += n;
            }
            if (extra > 0) {
                throw new SpecException(what + " has " + extra + " trailing bytes after the " + announced
                        + " data bytes its header announces: expected end of file");
            }
        }

        /** Reads until {@code len} bytes or end of stream; returns the number read. */
        private int fill(byte[] b, int off, int len) {
            int total = 0;
            try {
                while (total < len) {
                    int r = in.read(b, off + total, len - total);
                    if (r < 0) {
                        break;
                    }
                    total += r;
                }
            } catch (IOException e) {
                // for gzip this covers bad deflate data, a bad CRC/size trailer and a cut-off stream
                throw new SpecException(what + (gzip ? ": corrupt gzip data: " : ": cannot read: ")
                        + DataFiles.describe(e), e);
            }
            return total;
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException e) {
                // reading is over; nothing to report
            } finally {
                closeQuietly(raw);
            }
        }
    }

    private static int readInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    private static String hex(int v) {
        return String.format("0x%08x", v);
    }

    private static void closeQuietly(InputStream s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing useful to do
        }
    }
}
