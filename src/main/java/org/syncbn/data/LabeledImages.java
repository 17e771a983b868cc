package org.syncbn.data;

import java.io.Serial;
import java.io.Serializable;
import java.util.Arrays;

/**
 * An immutable set of labelled images of one shape (greyscale IDX: 1 channel; CIFAR: 3), kept as
 * raw unsigned bytes (4x smaller than floats; this is what Spark serialises per partition). Image
 * {@code e} occupies {@code pixels[e*features() .. (e+1)*features())} in CHW order (each channel
 * row-major, channel after channel); its class is {@code labels[e] & 0xFF}.
 *
 * <p>A plain final class rather than a record on purpose: Spark's Kryo (4.x) cannot set the
 * final fields of a record, but handles an ordinary class with final fields.
 *
 * <p>{@link #pixels()} and {@link #labels()} return copies; the zero-copy accessors are
 * {@link #copyFeatures(int, float[], int)}, {@link #copyFeatures(int, double[], int)},
 * {@link #pixel(int, int)} and {@link #label(int)}.
 */
public final class LabeledImages implements Serializable {

    @Serial
    private static final long serialVersionUID = 2L;

    /** {@code (v & 0xFF) / 255.0} for every byte value, as double and as float (rounded from the double). */
    private static final double[] SCALE_D = new double[256];
    private static final float[] SCALE_F = new float[256];

    static {
        for (int v = 0; v < 256; v++) {
            SCALE_D[v] = v / 255.0;
            SCALE_F[v] = (float) SCALE_D[v];
        }
    }

    private final int count;
    private final int channels;
    private final int rows;
    private final int cols;
    private final byte[] pixels;
    private final byte[] labels;

    /**
     * Greyscale (one-channel) images; copies both arrays.
     *
     * @throws IllegalArgumentException when count &lt; 0, rows or cols &lt;= 0, or the array
     *                                  lengths are not count*rows*cols and count.
     */
    public LabeledImages(int count, int rows, int cols, byte[] pixels, byte[] labels) {
        this(count, 1, rows, cols, pixels.clone(), labels.clone());
    }

    /**
     * Images of {@code shape}, pixels in CHW order; copies both arrays.
     *
     * @throws IllegalArgumentException when count &lt; 0 or the array lengths are not
     *                                  count*shape.size() and count.
     */
    public LabeledImages(int count, ImageShape shape, byte[] pixels, byte[] labels) {
        this(count, shape.channels(), shape.height(), shape.width(), pixels.clone(), labels.clone());
    }

    /** Takes ownership of the arrays (no copy): for the readers and {@link #subset}. */
    private LabeledImages(int count, int channels, int rows, int cols, byte[] pixels, byte[] labels) {
        if (count < 0 || channels <= 0 || rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("LabeledImages: count " + count + ", channels " + channels + ", rows "
                    + rows + ", cols " + cols + ": expected count >= 0, channels, rows and cols > 0");
        }
        long expected = (long) count * channels * rows * cols;
        if (pixels.length != expected || labels.length != count) {
            throw new IllegalArgumentException("LabeledImages: " + pixels.length + " pixels and " + labels.length
                    + " labels, expected " + expected + " pixels (" + count + "x" + channels + "x" + rows + "x" + cols
                    + ") and " + count + " labels");
        }
        this.count = count;
        this.channels = channels;
        this.rows = rows;
        this.cols = cols;
        this.pixels = pixels;
        this.labels = labels;
    }

    /** Wraps the arrays without copying them; the caller must not touch them afterwards. */
    static LabeledImages wrap(int count, ImageShape shape, byte[] pixels, byte[] labels) {
        return new LabeledImages(count, shape.channels(), shape.height(), shape.width(), pixels, labels);
    }

    public int count() {
        return count;
    }

    public int channels() {
        return channels;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Every image's shape: channels x rows x cols. */
    public ImageShape shape() {
        return new ImageShape(channels, rows, cols);
    }

    /** A copy of all pixels, {@code count*channels*rows*cols} unsigned bytes. */
    public byte[] pixels() {
        return pixels.clone();
    }

    /** A copy of all labels, {@code count} unsigned bytes. */
    public byte[] labels() {
        return labels.clone();
    }

    /** Pixels per image: {@code channels*rows*cols}. */
    public int features() {
        return channels * rows * cols;
    }

    /** Raw pixel {@code feature} (CHW index) of image {@code example}, 0..255. */
    public int pixel(int example, int feature) {
        checkExample(example);
        int f = features();
        if (feature < 0 || feature >= f) {
            throw new IndexOutOfBoundsException("feature " + feature + " out of range 0.." + (f - 1));
        }
        return pixels[example * f + feature] & 0xFF;
    }

    /** Class of image {@code example}, 0..255. */
    public int label(int example) {
        checkExample(example);
        return labels[example] & 0xFF;
    }

    /**
     * Writes the {@link #features()} pixels of image {@code example}, scaled to [0,1] as
     * {@code (float) ((pixel & 0xFF) / 255.0)}, into {@code dst[dstOffset ..]}.
     */
    public void copyFeatures(int example, float[] dst, int dstOffset) {
        checkExample(example);
        int f = features();
        java.util.Objects.checkFromIndexSize(dstOffset, f, dst.length);
        int base = example * f;
        for (int i = 0; i < f; i++) {
            dst[dstOffset + i] = SCALE_F[pixels[base + i] & 0xFF];
        }
    }

    /**
     * Writes the {@link #features()} pixels of image {@code example}, scaled to [0,1] as
     * {@code (pixel & 0xFF) / 255.0}, into {@code dst[dstOffset ..]}.
     */
    public void copyFeatures(int example, double[] dst, int dstOffset) {
        checkExample(example);
        int f = features();
        java.util.Objects.checkFromIndexSize(dstOffset, f, dst.length);
        int base = example * f;
        for (int i = 0; i < f; i++) {
            dst[dstOffset + i] = SCALE_D[pixels[base + i] & 0xFF];
        }
    }

    /**
     * A new instance holding the chosen examples in the given order (repeats allowed).
     *
     * @throws IndexOutOfBoundsException when an index is outside 0..count-1.
     */
    public LabeledImages subset(int[] exampleIndices) {
        int n = exampleIndices.length;
        int f = features();
        if ((long) n * f > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("subset of " + n + " examples of " + f + " pixels is too large for one array");
        }
        byte[] p = new byte[n * f];
        byte[] l = new byte[n];
        for (int i = 0; i < n; i++) {
            int e = exampleIndices[i];
            if (e < 0 || e >= count) {
                throw new IndexOutOfBoundsException("subset index " + i + " is example " + e + ", expected 0.."
                        + (count - 1));
            }
            System.arraycopy(pixels, e * f, p, i * f, f);
            l[i] = labels[e];
        }
        return new LabeledImages(n, channels, rows, cols, p, l);
    }

    private void checkExample(int example) {
        if (example < 0 || example >= count) {
            throw new IndexOutOfBoundsException("example " + example + " out of range 0.." + (count - 1));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabeledImages other && count == other.count && channels == other.channels
                && rows == other.rows && cols == other.cols
                && Arrays.equals(labels, other.labels) && Arrays.equals(pixels, other.pixels);
    }

    @Override
    public int hashCode() {
        int h = 31 * (31 * (31 * count + channels) + rows) + cols;
        h = 31 * h + Arrays.hashCode(labels);
        return 31 * h + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "LabeledImages[" + count + "x" + channels + "x" + rows + "x" + cols + "]";
    }
}
