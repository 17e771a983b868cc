package org.syncbn.data;

import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.testing.TestSpark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Examples say the image shape of their features; shards report it, checked equal across shards. */
class ImageShapesTest {
    @TempDir
    static Path dir;

    /** 4 training and 2 test images of 2x3 (rows x cols). */
    @BeforeAll
    static void idxFiles() throws Exception {
        byte[] pixels = new byte[4 * 6];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 11);
        }
        Files.write(dir.resolve("ti"), IdxReaderTest.images(4, 2, 3, pixels));
        Files.write(dir.resolve("tl"), IdxReaderTest.labels(IdxReaderTest.bytes(1, 2, 3, 4)));
        Files.write(dir.resolve("si"), IdxReaderTest.images(2, 2, 3, java.util.Arrays.copyOf(pixels, 12)));
        Files.write(dir.resolve("sl"), IdxReaderTest.labels(IdxReaderTest.bytes(0, 9)));
    }

    private static JobSpec spec(String... extra) {
        List<String> sets = new ArrayList<>(List.of("data.dir=\"" + dir + "\"", "data.trainImages=ti",
                "data.trainLabels=tl", "data.testImages=si", "data.testLabels=sl", "data.shuffle=false"));
        sets.addAll(List.of(extra));
        return JobSpecLoader.load(null, sets);
    }

    @Test
    void idxShardsAreOneChannelImagesOfTheFilesRowsAndCols() {
        JavaRDD<Shard> shards = ShardSource.of(spec().data()).training(TestSpark.context(), 2, 0, 1, false);
        try {
            ShardInfo info = ShardInfo.of(shards);
            assertEquals(Optional.of(new ImageShape(1, 2, 3)), info.imageShape());
            assertEquals(6, info.featureSize());
            assertArrayEquals(new int[] {2, 2}, info.sizes());
        } finally {
            shards.unpersist(false);
        }
    }

    @Test
    void idxAcceptsItsOwnShapeAndRefusesAnotherNamingTheFile() {
        assertEquals(Optional.of(new ImageShape(1, 2, 3)),
                new IdxDataSource(spec("data.imageShape=[1,2,3]").data()).train().imageShape());
        String expected = "images file " + dir.resolve("si") + " holds 2x3 greyscale images, [1, 2, 3], but "
                + "data.imageShape = [1, 3, 2]: expected [] or [1, 2, 3]";
        SpecException e = assertThrows(SpecException.class,
                () -> new IdxDataSource(spec("data.imageShape=[1,3,2]").data()).test());
        assertEquals(expected, e.getMessage());
        // read on the executors, the same one line reaches the driver (the CLI's exit 2)
        JavaRDD<Shard> shards = ShardSource.of(spec("data.imageShape=[1,3,2]").data())
                .test(TestSpark.context(), 2, 0);
        try {
            Exception fromSpark = assertThrows(Exception.class, () -> ShardInfo.of(shards));
            assertEquals(expected, SpecException.findIn(fromSpark).getMessage());
        } finally {
            shards.unpersist(false);
        }
    }

    private static Shard dense(int rank, int count, ImageShape shape) {
        int f = shape == null ? 4 : shape.size();
        return new Shard(rank, new DenseExamples(count, f, 2, new double[count * f], new double[count * 2], shape));
    }

    @Test
    void shardInfoRefusesShardsOfDifferentShapesAndIgnoresEmptyOnes() {
        ImageShape square = new ImageShape(1, 2, 2);
        JavaRDD<Shard> mixed = TestSpark.context().parallelize(List.of(dense(0, 2, square), dense(1, 1, null)), 2);
        SpecException e = assertThrows(SpecException.class, () -> ShardInfo.of(mixed));
        assertEquals("shard 1 holds examples of 4 features and 2 labels, shard 0 of 4 features (1x2x2 images) and "
                + "2 labels: expected the same in every shard", e.getMessage());

        Shard emptyFlat = new Shard(1, new DenseExamples(0, 0, 2, new double[0], new double[0]));
        ShardInfo info = ShardInfo.of(TestSpark.context().parallelize(List.of(dense(0, 3, square), emptyFlat), 2));
        assertEquals(Optional.of(square), info.imageShape());
        assertEquals(4, info.featureSize());
        assertArrayEquals(new int[] {3, 0}, info.sizes());
    }

    @Test
    void multiChannelImagesKeepTheirCHWOrderThroughSubsetsAndScaleAsIdxDoes() {
        ImageShape shape = new ImageShape(2, 1, 2);
        byte[] pixels = IdxReaderTest.bytes(0, 1, 2, 3, 255, 128, 64, 32);
        LabeledImages images = new LabeledImages(2, shape, pixels, IdxReaderTest.bytes(5, 6));
        assertEquals(4, images.features());
        assertEquals(shape, images.shape());
        LabeledImages swapped = images.subset(new int[] {1, 0});
        assertEquals(shape, swapped.shape());
        assertArrayEquals(IdxReaderTest.bytes(255, 128, 64, 32, 0, 1, 2, 3), swapped.pixels());
        ImageExamples ex = new ImageExamples(images, 7);
        assertEquals(Optional.of(shape), ex.subset(new int[] {0}).imageShape());
        double[] d = new double[4];
        float[] f = new float[4];
        ex.copyFeatures(1, d, 0);
        ex.copyFeatures(1, f, 0);
        assertArrayEquals(new double[] {1.0, 128 / 255.0, 64 / 255.0, 32 / 255.0}, d, 0.0);
        assertArrayEquals(new float[] {1f, (float) (128 / 255.0), (float) (64 / 255.0), (float) (32 / 255.0)}, f, 0f);
        assertThrows(IllegalArgumentException.class,
                () -> new LabeledImages(2, shape, java.util.Arrays.copyOf(pixels, 6), IdxReaderTest.bytes(5, 6)));
    }

    @Test
    void aShapeIsThreeSizesOfAtLeastOneFittingOneArrayAndNamesItsNchwBatch() {
        ImageShape s = new ImageShape(3, 32, 32);
        assertEquals(3072, s.size());
        assertEquals("3x32x32", s.toString());
        assertEquals(List.of(3, 32, 32), s.toList());
        assertArrayEquals(new long[] {8, 3, 32, 32}, s.nchw(8));
        assertEquals(ImageShape.CIFAR, s);
        assertThrows(IllegalArgumentException.class, () -> new ImageShape(0, 28, 28));
        assertThrows(IllegalArgumentException.class, () -> new ImageShape(65536, 65536, 2));
        assertEquals(Optional.empty(), ImageShape.of(spec().data()));
        assertEquals(Optional.of(new ImageShape(1, 2, 3)), ImageShape.of(spec("data.imageShape=[1,2,3]").data()));
    }

    @Test
    void denseExamplesRefuseAShapeThatIsNotTheirWidthAndKeepItInSubsets() {
        ImageShape shape = new ImageShape(1, 2, 2);
        assertThrows(IllegalArgumentException.class,
                () -> new DenseExamples(1, 3, 2, new double[3], new double[2], shape));
        DenseExamples ex = new DenseExamples(2, 4, 2, new double[8], new double[4], shape);
        assertEquals(Optional.of(shape), ex.subset(new int[] {1}).imageShape());
        assertEquals(Optional.empty(), new DenseExamples(1, 4, 2, new double[4], new double[2]).imageShape());
    }
}
