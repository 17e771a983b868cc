package org.syncbn.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntUnaryOperator;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** Writes small data snapshots (gzip IDX files, Fashion-MNIST names) cut from the real data set. */
public final class Snapshots {
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";
    private static final int PIXELS = 28 * 28;

    private Snapshots() {
    }

    /**
     * Writes training examples [from, from+count) and the first {@code testCount} test examples
     * of Fashion-MNIST into {@code dir}; {@code trainLabel} maps each training label (identity for real data).
     */
    public static Path write(Path dir, int from, int count, int testCount, IntUnaryOperator trainLabel)
            throws IOException {
        Files.createDirectories(dir);
        String real = TestSpark.fashionMnistDir();
        byte[] images = slice(Path.of(real, TRAIN_IMAGES), 16, from * PIXELS, count * PIXELS);
        byte[] labels = slice(Path.of(real, TRAIN_LABELS), 8, from, count);
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) trainLabel.applyAsInt(labels[i]);
        }
        writeIdx(dir.resolve(TRAIN_IMAGES), 0x803, new int[] {count, 28, 28}, images);
        writeIdx(dir.resolve(TRAIN_LABELS), 0x801, new int[] {count}, labels);
        writeIdx(dir.resolve(TEST_IMAGES), 0x803, new int[] {testCount, 28, 28},
                slice(Path.of(real, TEST_IMAGES), 16, 0, testCount * PIXELS));
        writeIdx(dir.resolve(TEST_LABELS), 0x801, new int[] {testCount}, slice(Path.of(real, TEST_LABELS), 8, 0, testCount));
        return dir;
    }

    /** Real Fashion-MNIST examples [from, from+count) for training, the first 500 test examples. */
    public static Path write(Path dir, int from, int count) throws IOException {
        return write(dir, from, count, 500, IntUnaryOperator.identity());
    }

    /**
     * Writes {@code count} training and {@code testCount} test examples of random {@code side} x
     * {@code side} single-channel images with labels 0-9 (for networks that need other image sizes).
     */
    public static Path writeSynthetic(Path dir, int count, int testCount, int side, long seed) throws IOException {
        Files.createDirectories(dir);
        java.util.Random rnd = new java.util.Random(seed);
        for (boolean train : new boolean[] {true, false}) {
            int n = train ? count : testCount;
            byte[] images = new byte[n * side * side];
            rnd.nextBytes(images);
            byte[] labels = new byte[n];
            for (int i = 0; i < n; i++) {
                labels[i] = (byte) (i % 10);
            }
            writeIdx(dir.resolve(train ? TRAIN_IMAGES : TEST_IMAGES), 0x803, new int[] {n, side, side}, images);
            writeIdx(dir.resolve(train ? TRAIN_LABELS : TEST_LABELS), 0x801, new int[] {n}, labels);
        }
        return dir;
    }

    /** Writes a gzip IDX file: magic, dimensions, then the data bytes. */
    public static void writeIdx(Path file, int magic, int[] dims, byte[] data) throws IOException {
        try (OutputStream raw = Files.newOutputStream(file);
             DataOutputStream out = new DataOutputStream(new GZIPOutputStream(raw))) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
    }

    private static byte[] slice(Path gz, int header, int skip, int length) throws IOException {
        try (InputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(gz), 1 << 16))) {
            in.skipNBytes(header + (long) skip);
            return in.readNBytes(length);
        }
    }
}
