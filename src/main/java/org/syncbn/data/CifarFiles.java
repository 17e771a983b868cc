package org.syncbn.data;

import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;

import java.io.Serializable;
import java.util.List;

/**
 * A CIFAR data set in its published "binary version" layout, found by file name in one directory
 * (local or any Hadoop URI): which edition it is, its files, and which label byte is the class.
 *
 * <p>The edition is told by the test file the archive unpacks: {@code test_batch.bin}
 * (cifar-10-batches-bin/) or {@code test.bin} (cifar-100-binary/), so pointing {@code data.dir} at
 * either directory is all a job needs. Every training file the edition has is required: a set
 * with a batch missing would train silently on less data.
 *
 * @param dir     the directory holding the files
 * @param edition CIFAR-10 or CIFAR-100
 * @param coarse  CIFAR-100: the coarse label (20 superclasses) instead of the fine one (100 classes)
 */
public record CifarFiles(String dir, Edition edition, boolean coarse) implements Serializable {

    /** Pixel bytes of one record: 1024 red, 1024 green, 1024 blue, each 32x32 row-major. */
    public static final int PIXEL_BYTES = 3 * 32 * 32;

    /** The two published editions and their record layouts. */
    public enum Edition {
        /** Records of 1 label byte + 3072 pixel bytes. */
        CIFAR_10("CIFAR-10", 1, 10,
                List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                        "data_batch_5.bin"),
                "test_batch.bin"),
        /** Records of a coarse label byte, a fine label byte + 3072 pixel bytes. */
        CIFAR_100("CIFAR-100", 2, 100, List.of("train.bin"), "test.bin");

        private final String title;
        private final int labelBytes;
        private final int fineClasses;
        private final List<String> trainFiles;
        private final String testFile;

        Edition(String title, int labelBytes, int fineClasses, List<String> trainFiles, String testFile) {
            this.title = title;
            this.labelBytes = labelBytes;
            this.fineClasses = fineClasses;
            this.trainFiles = trainFiles;
            this.testFile = testFile;
        }

        public String title() {
            return title;
        }

        public int labelBytes() {
            return labelBytes;
        }

        public List<String> trainFiles() {
            return trainFiles;
        }

        public List<String> testFiles() {
            return List.of(testFile);
        }
    }

    /** The CIFAR files in {@code data.dir}, with {@code data.cifarLabels}. */
    public static CifarFiles find(JobSpec.DataSpec spec) {
        String dir = spec.dir();
        boolean ten = DataFiles.exists(dir, Edition.CIFAR_10.testFile);
        boolean hundred = DataFiles.exists(dir, Edition.CIFAR_100.testFile);
        if (ten && hundred) {
            throw new SpecException("data.dir = " + DataFiles.oneLine(dir) + " holds both test_batch.bin (CIFAR-10) "
                    + "and test.bin (CIFAR-100): expected the directory of one data set");
        }
        if (!ten && !hundred) {
            throw new SpecException("data.dir = " + DataFiles.oneLine(dir) + ": no test_batch.bin (CIFAR-10) or "
                    + "test.bin (CIFAR-100) there: expected the unpacked cifar-10-batches-bin/ (data_batch_1..5.bin, "
                    + "test_batch.bin) or cifar-100-binary/ (train.bin, test.bin) of the binary version"
                    + nestedHint(dir));
        }
        Edition edition = ten ? Edition.CIFAR_10 : Edition.CIFAR_100;
        boolean coarse = spec.cifarLabels() == JobSpec.CifarLabels.COARSE;
        if (coarse && edition == Edition.CIFAR_10) {
            throw new SpecException("data.cifarLabels = coarse: data.dir = " + DataFiles.oneLine(dir)
                    + " holds CIFAR-10 (test_batch.bin), whose records have one label: expected fine");
        }
        return new CifarFiles(dir, edition, coarse);
    }

    /** Points at the archive's own sub-directory when data.dir is the directory it was unpacked in. */
    private static String nestedHint(String dir) {
        for (String sub : List.of("cifar-10-batches-bin", "cifar-100-binary")) {
            if (DataFiles.exists(dir, sub)) {
                return " (it holds " + sub + "/: point data.dir there)";
            }
        }
        return "";
    }

    /** Bytes per record: the label byte(s) and the pixels. */
    public int recordBytes() {
        return edition.labelBytes + PIXEL_BYTES;
    }

    /** Position of the class's label byte inside a record. */
    public int labelOffset() {
        return edition == Edition.CIFAR_100 && !coarse ? 1 : 0;
    }

    /** The label the class comes from, for messages: "label", "fine label" or "coarse label". */
    public String labelName() {
        return edition == Edition.CIFAR_10 ? "label" : coarse ? "coarse label" : "fine label";
    }

    /** Classes the chosen label has in the published data: 10, 100 or 20. */
    public int publishedClasses() {
        return coarse ? 20 : edition.fineClasses;
    }
}
