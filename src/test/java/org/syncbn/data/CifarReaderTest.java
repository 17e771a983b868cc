package org.syncbn.data;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.store.Json;
import org.syncbn.testing.TestSpark;
import org.syncbn.train.TrainingRun;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CIFAR-10 / CIFAR-100 binary reader on small files the test writes in the published layout
 * (records of label byte(s) + 1024 R + 1024 G + 1024 B pixel bytes; file names as the archives
 * unpack them).
 */
class CifarReaderTest {
    static final int PER_BATCH = 6;
    static final int TEST = 4;
    static final int C100_TRAIN = 9;

    @TempDir
    static Path root;
    @TempDir
    Path tmp;

    /** Pixel k of example e (global index in file order), distinct per example, covering 0..255. */
    static int pixel(int e, int k) {
        return (e * 37 + k * 7 + (k >> 10) * 101) & 0xFF;
    }

    static int label10(int e) {
        return (e * 3) % 10;
    }

    static int coarse(int e) {
        return (e * 5) % 20;
    }

    static int fine(int e) {
        return (e * 7 + 3) % 100;
    }

    /** {@code n} records of examples first.. with the given label bytes before the pixels. */
    static byte[] records(int first, int n, IntUnaryOperator... labels) {
        int rec = labels.length + 3072;
        byte[] b = new byte[n * rec];
        for (int i = 0; i < n; i++) {
            int e = first + i;
            for (int l = 0; l < labels.length; l++) {
                b[i * rec + l] = (byte) labels[l].applyAsInt(e);
            }
            for (int k = 0; k < 3072; k++) {
                b[i * rec + labels.length + k] = (byte) pixel(e, k);
            }
        }
        return b;
    }

    /** A cifar-10-batches-bin/ directory: 5 training batches, then the test batch (examples numbered on). */
    static Path cifar10(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int b = 1; b <= 5; b++) {
            Files.write(dir.resolve("data_batch_" + b + ".bin"), records((b - 1) * PER_BATCH, PER_BATCH,
                    CifarReaderTest::label10));
        }
        Files.write(dir.resolve("test_batch.bin"), records(5 * PER_BATCH, TEST, CifarReaderTest::label10));
        Files.writeString(dir.resolve("batches.meta.txt"), "airplane\nautomobile\n");
        return dir;
    }

    /** A cifar-100-binary/ directory: train.bin and test.bin with coarse then fine label bytes. */
    static Path cifar100(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("train.bin"), records(0, C100_TRAIN, CifarReaderTest::coarse, CifarReaderTest::fine));
        Files.write(dir.resolve("test.bin"), records(C100_TRAIN, TEST, CifarReaderTest::coarse, CifarReaderTest::fine));
        return dir;
    }

    static Path ten;
    static Path hundred;

    @BeforeAll
    static void files() throws IOException {
        ten = cifar10(root.resolve("cifar-10-batches-bin"));
        hundred = cifar100(root.resolve("cifar-100-binary"));
    }

    static JobSpec spec(Object dir, String... extra) {
        List<String> sets = new ArrayList<>(List.of("data.format=cifar", "data.dir=\"" + dir + "\""));
        sets.addAll(List.of(extra));
        return JobSpecLoader.load(null, sets);
    }

    static DataSource source(Object dir, String... extra) {
        return DataSource.of(spec(dir, extra).data());
    }

    /** A one-line SpecException with exactly this message. */
    static void expectSpec(Executable call, String message) {
        SpecException e = assertThrows(SpecException.class, call);
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals(message, e.getMessage());
    }

    static void assertExamples(Examples ex, int first, int n, IntUnaryOperator label, int classes) {
        assertEquals(n, ex.count());
        assertEquals(3072, ex.featureSize());
        assertEquals(classes, ex.labelSize());
        assertEquals(Optional.of(new ImageShape(3, 32, 32)), ex.imageShape());
        double[] d = new double[3072];
        float[] f = new float[3072];
        double[] l = new double[classes];
        for (int i = 0; i < n; i++) {
            ex.copyFeatures(i, d, 0);
            ex.copyFeatures(i, f, 0);
            for (int k = 0; k < 3072; k++) {
                // the IDX reader's scaling: v / 255.0, and the float rounded from that double
                assertEquals(pixel(first + i, k) / 255.0, d[k], 0.0);
                assertEquals((float) (pixel(first + i, k) / 255.0), f[k], 0f);
            }
            ex.copyLabels(i, l, 0);
            double[] oneHot = new double[classes];
            oneHot[label.applyAsInt(first + i)] = 1;
            assertArrayEquals(oneHot, l, 0.0, "example " + (first + i));
        }
    }

    @Test
    void cifar10ReadsTheFiveBatchesInOrderWithExactPixelsLabelsAndIdxScaling() {
        DataSource s = source(ten);
        assertExamples(s.train(), 0, 5 * PER_BATCH, CifarReaderTest::label10, 10);
        assertExamples(s.test(), 5 * PER_BATCH, TEST, CifarReaderTest::label10, 10);
        // the record's pixel bytes are CHW already: feature 1024 is the green channel's first pixel
        LabeledImages raw = CifarReader.read(CifarFiles.find(spec(ten).data()), List.of("data_batch_2.bin"), 10);
        assertEquals(pixel(PER_BATCH, 1024), raw.pixel(0, 1024));
        assertEquals(new ImageShape(3, 32, 32), raw.shape());
    }

    @Test
    void cifar100TrainsOnFineLabelsByDefaultAndOnCoarseOnesByKey() {
        assertExamples(source(hundred, "data.numClasses=100").train(), 0, C100_TRAIN, CifarReaderTest::fine, 100);
        DataSource coarse = source(hundred, "data.numClasses=20", "data.cifarLabels=coarse");
        assertExamples(coarse.train(), 0, C100_TRAIN, CifarReaderTest::coarse, 20);
        assertExamples(coarse.test(), C100_TRAIN, TEST, CifarReaderTest::coarse, 20);
    }

    @Test
    void aFileThatIsNoWholeNumberOfRecordsIsRefusedNamingItAndTheRecordLength() throws IOException {
        Path d = cifar10(tmp.resolve("cut"));
        byte[] b = Files.readAllBytes(d.resolve("data_batch_3.bin"));
        Files.write(d.resolve("data_batch_3.bin"), java.util.Arrays.copyOf(b, b.length - 1));
        expectSpec(() -> source(d).train(), d.resolve("data_batch_3.bin") + " is " + (b.length - 1)
                + " bytes: expected a positive multiple of 3073 (CIFAR-10 records of 1 label byte + 3072 pixel bytes)");
        Path h = cifar100(tmp.resolve("empty100"));
        Files.write(h.resolve("test.bin"), new byte[0]);
        expectSpec(() -> source(h, "data.numClasses=100").test(), h.resolve("test.bin") + " is 0 bytes: expected a "
                + "positive multiple of 3074 (CIFAR-100 records of 2 label bytes + 3072 pixel bytes)");
    }

    @Test
    void aLabelOutsideNumClassesNamesFileRecordAndByteAndHowManyClassesTheDataHas() throws IOException {
        // default numClasses = 10 on CIFAR-100: record 1's fine label is 10
        expectSpec(() -> source(hundred).train(), hundred.resolve("train.bin") + ": record 1 (at byte 3074) has "
                + "fine label 10, expected 0..9 (data.numClasses = 10); CIFAR-100 has 100 classes by its fine label: "
                + "set data.numClasses = 100");
        Path d = cifar10(tmp.resolve("badlabel"));
        byte[] b = Files.readAllBytes(d.resolve("test_batch.bin"));
        b[2 * 3073] = 10;
        Files.write(d.resolve("test_batch.bin"), b);
        expectSpec(() -> source(d).test(), d.resolve("test_batch.bin") + ": record 2 (at byte 6146) has label 10, "
                + "expected 0..9 (data.numClasses = 10)");
    }

    @Test
    void aMissingTrainingBatchIsDataFileNotFoundWhenFingerprintedAndWhenRead() throws IOException {
        Path d = cifar10(tmp.resolve("missing"));
        Files.delete(d.resolve("data_batch_4.bin"));
        DataSource s = source(d);
        expectSpec(s::fingerprint, "data file not found: " + d.resolve("data_batch_4.bin"));
        expectSpec(s::train, "data file not found: " + d.resolve("data_batch_4.bin"));
    }

    @Test
    void aDirectoryWithoutCifarFilesSaysWhatItExpectsAndPointsIntoTheUnpackedArchive() {
        String expected = ": no test_batch.bin (CIFAR-10) or test.bin (CIFAR-100) there: expected the unpacked "
                + "cifar-10-batches-bin/ (data_batch_1..5.bin, test_batch.bin) or cifar-100-binary/ (train.bin, "
                + "test.bin) of the binary version";
        expectSpec(() -> source(tmp), "data.dir = " + tmp + expected);
        expectSpec(() -> source(tmp.resolve("absent")), "data.dir = " + tmp.resolve("absent") + expected);
        Path parent = root.resolve("cifar-10-batches-bin").getParent();
        SpecException e = assertThrows(SpecException.class, () -> source(parent));
        assertTrue(e.getMessage().endsWith("(it holds cifar-10-batches-bin/: point data.dir there)"), e.getMessage());
    }

    @Test
    void bothEditionsInOneDirectoryAndCoarseLabelsOfCifar10AreRefused() throws IOException {
        Path both = cifar100(cifar10(tmp.resolve("both")));
        expectSpec(() -> source(both), "data.dir = " + both + " holds both test_batch.bin (CIFAR-10) and test.bin "
                + "(CIFAR-100): expected the directory of one data set");
        expectSpec(() -> source(ten, "data.cifarLabels=coarse"), "data.cifarLabels = coarse: data.dir = " + ten
                + " holds CIFAR-10 (test_batch.bin), whose records have one label: expected fine");
    }

    @Test
    void aGzipCompressedFileIsToldToBeUnpacked() throws IOException {
        Path d = cifar10(tmp.resolve("gz"));
        Files.write(d.resolve("test_batch.bin"), IdxReaderTest.gzip(Files.readAllBytes(d.resolve("test_batch.bin"))));
        SpecException e = assertThrows(SpecException.class, () -> source(d).test());
        assertTrue(e.getMessage().startsWith(d.resolve("test_batch.bin").toString()), e.getMessage());
        assertTrue(e.getMessage().endsWith("; it starts with the gzip magic 1f 8b: unpack the archive first "
                + "(tar xzf ...)"), e.getMessage());
    }

    @Test
    void readsThroughAHadoopFileSystemUri() {
        assertExamples(source(ten.toUri()).test(), 5 * PER_BATCH, TEST, CifarReaderTest::label10, 10);
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void shardsAreReadInTheWorkersPartitionsAndEveryFileIsFingerprinted() throws Exception {
        ShardSource s = ShardSource.of(spec(ten).data());
        Map<String, String> prints = s.fingerprint();
        assertEquals(List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                "data_batch_5.bin", "test_batch.bin"), List.copyOf(prints.keySet()));
        assertEquals(sha256(ten.resolve("data_batch_5.bin")), prints.get("data_batch_5.bin"));
        JavaRDD<Shard> shards = s.training(TestSpark.context(), 3, 0, 42, true);
        try {
            ShardInfo info = ShardInfo.of(shards);
            assertEquals(Optional.of(ImageShape.CIFAR), info.imageShape());
            assertEquals(3072, info.featureSize());
            assertArrayEquals(new int[] {10, 10, 10}, info.sizes());
        } finally {
            shards.unpersist(false);
        }
        // a bad record found on an executor reaches the driver as the same one line
        JavaRDD<Shard> bad = ShardSource.of(spec(hundred).data()).training(TestSpark.context(), 2, 0, 42, true);
        try {
            Exception e = assertThrows(Exception.class, () -> ShardInfo.of(bad));
            assertTrue(SpecException.findIn(e).getMessage().startsWith(hundred.resolve("train.bin")
                    + ": record 1 (at byte 3074) has fine label 10"), e.toString());
        } finally {
            bad.unpersist(false);
        }
    }

    @Test
    void aJobTrainsOnCifarFilesAndRecordsTheirHashes() throws Exception {
        Path out = tmp.resolve("run");
        JobSpec job = spec(ten, "name=cifar", "train.workers=2", "train.batchPerWorker=5", "train.epochs=1",
                "train.stepsPerRound=3", "model.hidden=[8]", "optim.lr=0.01");
        TrainingRun.Result r = TrainingRun.of(TestSpark.context(), job).writingTo(out.toString()).run();
        assertEquals(TEST, r.lastEval().count());
        JsonNode prov = Json.mapper().readTree(Files.readString(out.resolve("provenance.json")));
        assertEquals(sha256(ten.resolve("test_batch.bin")), prov.get("data").get("sha256").get("test_batch.bin").asText());
    }
}
