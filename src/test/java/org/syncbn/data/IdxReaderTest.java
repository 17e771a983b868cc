package org.syncbn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.SpecException;

import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

class IdxReaderTest {

    @TempDir
    Path tmp;

    /** The pom points java.io.tmpdir at target/test-tmp, which nothing else creates in a clean build. */
    @BeforeAll
    static void createJavaTmpDir() throws IOException {
        Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
    }

    // 3 images of 2x3; pixel values cover 0, 1, 127, 128 and 255 (sign-extension traps).
    static final int N = 3;
    static final int ROWS = 2;
    static final int COLS = 3;
    static final byte[] PIXELS = bytes(
            0, 1, 2, 127, 128, 255,
            10, 20, 30, 40, 50, 60,
            255, 254, 200, 100, 5, 0);
    static final byte[] LABELS = bytes(9, 0, 4);

    // ---------------------------------------------------------------- helpers

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer bb = ByteBuffer.allocate(4 + 4 * dims.length + data.length); // big-endian
        bb.putInt(magic);
        for (int d : dims) {
            bb.putInt(d);
        }
        bb.put(data);
        return bb.array();
    }

    static byte[] images(int count, int rows, int cols, byte[] pixels) {
        return idx(0x00000803, new int[] {count, rows, cols}, pixels);
    }

    static byte[] labels(byte[] labels) {
        return idx(0x00000801, new int[] {labels.length}, labels);
    }

    static byte[] gzip(byte[] data) {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
                gz.write(data);
            }
            return bos.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static byte[] cut(byte[] a, int len) {
        byte[] r = new byte[len];
        System.arraycopy(a, 0, r, 0, len);
        return r;
    }

    void write(String name, byte[] content) throws IOException {
        Files.write(tmp.resolve(name), content);
    }

    /** Writes the good pair as plain files "img" and "lbl". */
    void writeGoodPlain() throws IOException {
        write("img", images(N, ROWS, COLS, PIXELS));
        write("lbl", labels(LABELS));
    }

    LabeledImages read(String img, String lbl) {
        return IdxReader.read(tmp.toString(), img, lbl, 10);
    }

    /** Asserts a one-line SpecException whose message contains every fragment; returns the message. */
    static String expectSpec(Executable call, String... fragments) {
        SpecException e = assertThrows(SpecException.class, call);
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("\r"), "message is not one line: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), "message lacks '" + f + "': " + m);
        }
        return m;
    }

    static void assertExact(LabeledImages d) {
        assertEquals(N, d.count());
        assertEquals(ROWS, d.rows());
        assertEquals(COLS, d.cols());
        assertEquals(ROWS * COLS, d.features());
        assertArrayEquals(PIXELS, d.pixels());
        assertArrayEquals(LABELS, d.labels());
        for (int e = 0; e < N; e++) {
            assertEquals(LABELS[e] & 0xFF, d.label(e));
        }
    }

    // ---------------------------------------------------------------- reading

    @Test
    void readsPlainFilesWithExactPixelsLabelsAndScaling() throws IOException {
        writeGoodPlain();
        LabeledImages d = read("img", "lbl");
        assertExact(d);
        assertEquals(255, d.pixel(0, 5));
        assertEquals(128, d.pixel(0, 4));

        float[] f = new float[ROWS * COLS + 2];
        f[0] = -7f;
        f[f.length - 1] = -7f; // offset 1 writes indices 1..6, leaves 0 and 7 alone
        d.copyFeatures(1, f, 1);
        assertEquals(-7f, f[0]);
        assertEquals(-7f, f[f.length - 1]);
        double[] g = new double[ROWS * COLS + 1];
        d.copyFeatures(0, g, 1);
        for (int i = 0; i < ROWS * COLS; i++) {
            assertEquals((float) ((PIXELS[ROWS * COLS + i] & 0xFF) / 255.0), f[1 + i]);
            assertEquals((PIXELS[i] & 0xFF) / 255.0, g[1 + i]);
        }
        assertEquals(0.0, g[1]);
        assertEquals(1.0, g[6]);
        assertEquals(128 / 255.0, g[5]);
        assertEquals(0.0, g[0]);
        assertThrows(IndexOutOfBoundsException.class, () -> d.copyFeatures(N, new float[ROWS * COLS], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> d.copyFeatures(0, new float[ROWS * COLS], 1));
        assertThrows(IndexOutOfBoundsException.class, () -> d.label(-1));
    }

    @Test
    void readsGzipFilesDetectedByMagicBytesNotByExtension() throws IOException {
        // gzip content under a plain name, plain content under a .gz name, and a mixed pair
        write("img.idx", gzip(images(N, ROWS, COLS, PIXELS)));
        write("lbl.idx", gzip(labels(LABELS)));
        write("plain-img.gz", images(N, ROWS, COLS, PIXELS));
        write("plain-lbl.gz", labels(LABELS));
        assertExact(read("img.idx", "lbl.idx"));
        assertExact(read("plain-img.gz", "plain-lbl.gz"));
        assertExact(read("img.idx", "plain-lbl.gz"));
        // a multi-member gzip stream (as produced by concatenating .gz files) is one stream
        byte[] raw = images(N, ROWS, COLS, PIXELS);
        write("multi.gz", concat(gzip(cut(raw, 7)), gzip(java.util.Arrays.copyOfRange(raw, 7, raw.length))));
        assertExact(read("multi.gz", "lbl.idx"));
    }

    @Test
    void readsThroughHadoopFileSystemUri() throws IOException {
        write("img.gz", gzip(images(N, ROWS, COLS, PIXELS)));
        write("lbl", labels(LABELS));
        String uri = tmp.toUri().toString(); // file:///...
        assertTrue(uri.startsWith("file:"));
        assertExact(IdxReader.read(uri, "img.gz", "lbl", 10));
        assertTrue(DataFiles.resolve(uri, "img.gz").startsWith("file:"), DataFiles.resolve(uri, "img.gz"));
        assertEquals(tmp.resolve("lbl").toString(), DataFiles.resolve(tmp.toString(), "lbl"));
    }

    // ---------------------------------------------------------------- header errors

    @Test
    void wrongMagicIsReportedInHexWithTheExpectedOne() throws IOException {
        write("img", idx(0x00000802, new int[] {N, ROWS, COLS}, PIXELS));
        write("lbl", labels(LABELS));
        expectSpec(() -> read("img", "lbl"), "img", "0x00000802", "expected 0x00000803");

        // swapped files: the images magic in the labels slot and vice versa
        write("img2", images(N, ROWS, COLS, PIXELS));
        expectSpec(() -> read("lbl", "img2"), "images file", "lbl", "0x00000801", "0x00000803", "swapped");
        write("lbl2", idx(0x00000803, new int[] {N}, LABELS));
        expectSpec(() -> read("img2", "lbl2"), "labels file", "lbl2", "0x00000803", "expected 0x00000801");

        // a non-IDX file (e.g. a PNG) is a magic error, not a truncation
        write("png", bytes(0x89, 'P', 'N', 'G'));
        expectSpec(() -> read("png", "lbl"), "png", "0x89504e47", "expected 0x00000803");
    }

    @Test
    void zeroOrNegativeDimensionIsRejected() throws IOException {
        write("lbl", labels(LABELS));
        String[] names = {"count", "rows", "cols"};
        for (int d = 0; d < 3; d++) {
            for (int bad : new int[] {0, -1}) {
                int[] dims = {N, ROWS, COLS};
                dims[d] = bad;
                write("img" + d, idx(0x00000803, dims, PIXELS));
                int dd = d;
                expectSpec(() -> read("img" + dd, "lbl"), "img" + d, names[d], "is " + bad, "expected > 0");
            }
        }
        write("img", images(N, ROWS, COLS, PIXELS));
        write("lbl0", labels(new byte[0]));
        expectSpec(() -> read("img", "lbl0"), "labels file", "lbl0", "count", "is 0", "expected > 0");
    }

    // ---------------------------------------------------------------- size errors

    @Test
    void truncatedImageFileSaysExpectedAndFoundBytes() throws IOException {
        write("lbl", labels(LABELS));
        byte[] full = images(N, ROWS, COLS, PIXELS);
        write("img", cut(full, full.length - 5)); // 18 pixel bytes announced, 13 present
        expectSpec(() -> read("img", "lbl"), "images file", "img", "truncated", "18 bytes", "found 13");
        write("img.gz", gzip(cut(full, full.length - 5))); // truncated content, valid gzip
        expectSpec(() -> read("img.gz", "lbl"), "img.gz", "truncated", "18 bytes", "found 13");
        // cut inside the header
        write("imgh", cut(full, 10));
        expectSpec(() -> read("imgh", "lbl"), "imgh", "truncated", "16-byte", "found 10");
        write("empty", new byte[0]);
        expectSpec(() -> read("empty", "lbl"), "empty", "truncated", "16-byte", "found 0");
    }

    @Test
    void truncatedLabelFileSaysExpectedAndFoundBytes() throws IOException {
        write("img", images(N, ROWS, COLS, PIXELS));
        byte[] full = labels(LABELS);
        write("lbl", cut(full, full.length - 1));
        expectSpec(() -> read("img", "lbl"), "labels file", "lbl", "truncated", "3 bytes", "found 2");
        write("lblh", cut(full, 6));
        expectSpec(() -> read("img", "lblh"), "lblh", "truncated", "8-byte", "found 6");
    }

    @Test
    void trailingGarbageAfterTheAnnouncedDataIsRejected() throws IOException {
        write("img", images(N, ROWS, COLS, PIXELS));
        write("lbl", labels(LABELS));
        write("img+", concat(images(N, ROWS, COLS, PIXELS), bytes(1, 2, 3)));
        expectSpec(() -> read("img+", "lbl"), "images file", "img+", "3 trailing bytes", "18");
        write("lbl+", concat(labels(LABELS), bytes(0)));
        expectSpec(() -> read("img", "lbl+"), "labels file", "lbl+", "1 trailing bytes");
        write("img+.gz", gzip(concat(images(N, ROWS, COLS, PIXELS), new byte[100_000])));
        expectSpec(() -> read("img+.gz", "lbl"), "img+.gz", "100000 trailing bytes");
    }

    @Test
    void imageLabelCountMismatchNamesBothFilesAndCounts() throws IOException {
        write("images-a", images(N, ROWS, COLS, PIXELS));
        write("labels-b", labels(bytes(1, 2)));
        expectSpec(() -> read("images-a", "labels-b"), "images-a", "labels-b", "3 images", "2 labels");
    }

    @Test
    void labelOutOfRangeNamesExampleValueAndRange() throws IOException {
        write("img", images(N, ROWS, COLS, PIXELS));
        write("lbl", labels(bytes(3, 9, 10)));
        expectSpec(() -> read("img", "lbl"), "labels file", "lbl", "example 2", "label 10", "0..9");
        write("lbl255", labels(bytes(3, 255, 1)));
        expectSpec(() -> read("img", "lbl255"), "example 1", "label 255", "0..9");
        // the same file is fine with enough classes, and numClasses-1 is allowed
        assertEquals(10, IdxReader.read(tmp.toString(), "img", "lbl", 11).label(2));
        assertEquals(255, IdxReader.read(tmp.toString(), "img", "lbl255", 256).label(1));
        expectSpec(() -> IdxReader.read(tmp.toString(), "img", "lbl", 0), "numClasses", "0", "expected > 0");
    }

    // ---------------------------------------------------------------- file errors

    @Test
    void missingFileIsDataFileNotFound() throws IOException {
        write("img", images(N, ROWS, COLS, PIXELS));
        write("lbl", labels(LABELS));
        String missing = tmp.resolve("nope").toString();
        expectSpec(() -> read("nope", "lbl"), "data file not found: " + missing);
        expectSpec(() -> read("img", "nope"), "data file not found: " + missing);
        expectSpec(() -> IdxReader.read(tmp.resolve("no-dir").toString(), "img", "lbl", 10),
                "data file not found: " + tmp.resolve("no-dir").resolve("img"));
        expectSpec(() -> IdxReader.read(tmp.toUri().toString(), "nope", "lbl", 10), "data file not found: ", "nope");
        expectSpec(() -> DataFiles.open(tmp.toString(), "nope"), "data file not found: " + missing);
        expectSpec(() -> DataFiles.sha256(tmp.toString(), "nope"), "data file not found: " + missing);
        Files.createDirectory(tmp.resolve("sub"));
        expectSpec(() -> read("sub", "lbl"), "sub", "directory");
        expectSpec(() -> IdxReader.read(tmp.toUri().toString(), "sub", "lbl", 10), "sub", "directory");
    }

    @Test
    void corruptGzipIsReportedWithTheFileName() throws IOException {
        write("lbl", labels(LABELS));
        byte[] good = gzip(images(N, ROWS, COLS, PIXELS));

        write("garbage.gz", bytes(0x1f, 0x8b, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42));
        expectSpec(() -> read("garbage.gz", "lbl"), "garbage.gz", "corrupt gzip");

        write("magiconly.gz", bytes(0x1f, 0x8b));
        expectSpec(() -> read("magiconly.gz", "lbl"), "magiconly.gz", "corrupt gzip");

        write("cut.gz", cut(good, good.length / 2)); // compressed stream cut off
        expectSpec(() -> read("cut.gz", "lbl"), "cut.gz", "corrupt gzip");

        byte[] badCrc = good.clone();
        badCrc[badCrc.length - 6] ^= 0x55; // CRC32 of the trailer
        write("crc.gz", badCrc);
        expectSpec(() -> read("crc.gz", "lbl"), "crc.gz", "corrupt gzip");

        byte[] badBody = good.clone();
        for (int i = 10; i < badBody.length - 8; i++) {
            badBody[i] = (byte) 0xff; // invalid deflate block
        }
        write("body.gz", badBody);
        expectSpec(() -> read("body.gz", "lbl"), "body.gz", "corrupt gzip");

        write("lbl-crc.gz", corruptCrc(gzip(labels(LABELS))));
        write("img", images(N, ROWS, COLS, PIXELS));
        expectSpec(() -> read("img", "lbl-crc.gz"), "labels file", "lbl-crc.gz", "corrupt gzip");
    }

    static byte[] corruptCrc(byte[] gz) {
        byte[] b = gz.clone();
        b[b.length - 8] ^= 0x01;
        return b;
    }

    @Test
    void everyErrorMessageIsOneLineAndContainsTheFileName() throws IOException {
        writeGoodPlain();
        Map<String, byte[]> bad = new LinkedHashMap<>();
        bad.put("bad-magic", idx(0x1234, new int[] {N, ROWS, COLS}, PIXELS));
        bad.put("zero-dim", idx(0x803, new int[] {N, 0, COLS}, PIXELS));
        bad.put("truncated", cut(images(N, ROWS, COLS, PIXELS), 20));
        bad.put("trailing", concat(images(N, ROWS, COLS, PIXELS), bytes(7)));
        bad.put("corrupt-gz", corruptCrc(gzip(images(N, ROWS, COLS, PIXELS))));
        bad.put("mismatch", images(1, ROWS, COLS, cut(PIXELS, ROWS * COLS)));
        List<String> messages = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : bad.entrySet()) {
            write(e.getKey(), e.getValue());
            messages.add(expectSpec(() -> read(e.getKey(), "lbl"), tmp.resolve(e.getKey()).toString()));
        }
        write("lbl-range", labels(bytes(1, 2, 99)));
        messages.add(expectSpec(() -> read("img", "lbl-range"), tmp.resolve("lbl-range").toString()));
        messages.add(expectSpec(() -> read("img", "missing\nname"), "missing name"));
        assertEquals(bad.size() + 2, messages.size());
        assertEquals(messages.size(), messages.stream().distinct().count(), "messages are not distinct: " + messages);
    }

    // ---------------------------------------------------------------- LabeledImages

    @Test
    void subsetKeepsTheGivenOrderAndRepeats() throws IOException {
        writeGoodPlain();
        LabeledImages d = read("img", "lbl");
        LabeledImages s = d.subset(new int[] {2, 0, 2});
        assertEquals(3, s.count());
        assertEquals(ROWS, s.rows());
        assertEquals(COLS, s.cols());
        assertEquals(4, s.label(0));
        assertEquals(9, s.label(1));
        assertEquals(4, s.label(2));
        int f = ROWS * COLS;
        for (int i = 0; i < f; i++) {
            assertEquals(d.pixel(2, i), s.pixel(0, i));
            assertEquals(d.pixel(0, i), s.pixel(1, i));
            assertEquals(d.pixel(2, i), s.pixel(2, i));
        }
        assertEquals(d.subset(new int[] {0, 1, 2}), d);
        assertNotEquals(d.subset(new int[] {1, 0, 2}), d);
        assertEquals(0, d.subset(new int[0]).count());
        assertThrows(IndexOutOfBoundsException.class, () -> d.subset(new int[] {0, 3}));
        assertThrows(IndexOutOfBoundsException.class, () -> d.subset(new int[] {-1}));
    }

    @Test
    void labeledImagesIsImmutable() {
        byte[] p = PIXELS.clone();
        byte[] l = LABELS.clone();
        LabeledImages d = new LabeledImages(N, ROWS, COLS, p, l);
        p[0] = 99;
        l[0] = 1;
        d.pixels()[1] = 99;
        d.labels()[1] = 7;
        assertArrayEquals(PIXELS, d.pixels());
        assertArrayEquals(LABELS, d.labels());
        assertThrows(IllegalArgumentException.class, () -> new LabeledImages(N, ROWS, COLS, new byte[5], LABELS));
        assertThrows(IllegalArgumentException.class, () -> new LabeledImages(N, ROWS, COLS, PIXELS, new byte[2]));
        assertThrows(IllegalArgumentException.class, () -> new LabeledImages(N, 0, COLS, new byte[0], LABELS));
    }

    @Test
    void labeledImagesSurvivesJavaAndSparkKryoSerialisation() throws Exception {
        LabeledImages d = new LabeledImages(N, ROWS, COLS, PIXELS, LABELS);

        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ObjectOutputStream oos = new ObjectOutputStream(bos)) {
            oos.writeObject(d);
        }
        try (ObjectInputStream ois = new ObjectInputStream(new ByteArrayInputStream(bos.toByteArray()))) {
            assertEquals(d, ois.readObject());
        }

        SerializerInstance kryo = new KryoSerializer(new SparkConf(false)).newInstance();
        ClassTag<LabeledImages> tag = ClassTag$.MODULE$.apply(LabeledImages.class);
        LabeledImages back = kryo.deserialize(kryo.serialize(d, tag), tag);
        assertEquals(d, back);
        assertExact(back);
    }

    // ---------------------------------------------------------------- fingerprints

    @Test
    void sha256HashesTheRawFileBytes() throws Exception {
        byte[] gz = gzip(images(N, ROWS, COLS, PIXELS));
        write("img.gz", gz);
        write("img2.gz", corruptCrc(gz));
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(gz));
        assertEquals(expected, DataFiles.sha256(tmp.toString(), "img.gz"));
        assertEquals(expected, DataFiles.sha256(tmp.toUri().toString(), "img.gz"));
        assertNotEquals(expected, DataFiles.sha256(tmp.toString(), "img2.gz"));
        // a file larger than the hashing buffer
        byte[] big = new byte[200_003];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + 7);
        }
        write("big", big);
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big)),
                DataFiles.sha256(tmp.toString(), "big"));
        try (InputStream in = DataFiles.open(tmp.toString(), "big")) {
            assertArrayEquals(big, in.readAllBytes());
        }
    }

    // ---------------------------------------------------------------- real data

    @Test
    void readsTheRealFashionMnistTestSet() {
        String dir = "/usr/share/datasets/fashion-mnist";
        Assumptions.assumeTrue(Files.isRegularFile(Path.of(dir, "t10k-images-idx3-ubyte.gz"))
                && Files.isRegularFile(Path.of(dir, "t10k-labels-idx1-ubyte.gz")), "Fashion-MNIST not installed");
        LabeledImages d = IdxReader.read(dir, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10);
        assertEquals(10000, d.count());
        assertEquals(28, d.rows());
        assertEquals(28, d.cols());
        assertEquals(784, d.features());
        int[] perClass = new int[10];
        for (int e = 0; e < d.count(); e++) {
            perClass[d.label(e)]++;
        }
        for (int c = 0; c < 10; c++) {
            assertEquals(1000, perClass[c], "class " + c); // the t10k set is balanced
        }
        int min = 255;
        int max = 0;
        byte[] p = d.pixels();
        for (byte b : p) {
            min = Math.min(min, b & 0xFF);
            max = Math.max(max, b & 0xFF);
        }
        assertEquals(0, min);
        assertEquals(255, max);
        float[] f = new float[784];
        for (int e = 0; e < 50; e++) {
            d.copyFeatures(e, f, 0);
            for (float v : f) {
                assertTrue(v >= 0f && v <= 1f, "feature " + v);
            }
        }
        // one-line error for a real file with the wrong class count
        expectSpec(() -> IdxReader.read(dir, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 5),
                "t10k-labels-idx1-ubyte.gz", "expected 0..4");
    }
}
