package org.syncbn.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.testing.ChildJvm;
import org.syncbn.testing.Cli;
import org.syncbn.testing.Snapshots;
import org.syncbn.testing.TestSpark;
import org.syncbn.testing.TinyTables;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input, as a user meets it in a terminal: each case of the README's exit-code tables (a job key,
 * an argument, a data file missing, corrupt, of the wrong shape, a label out of range; for train,
 * predict and retrain) is exit code 2 and exactly one line on stderr, the whole of stderr: no banner
 * before it, no log lines from Spark or Hadoop around it. Each command runs in a JVM of its own with
 * the project's conf/log4j2.properties, as scripts/syncbn runs it; so does a normal predict, whose
 * stderr holds no warning.
 */
class OneLineErrorsTest {
    @TempDir
    static Path dir;
    static String model;

    @BeforeAll
    static void data() throws Exception {
        TinyTables.writeCsv(dir.resolve("train.csv"), 300, 1);
        TinyTables.writeCsv(dir.resolve("test.csv"), 60, 2);
        Files.writeString(dir.resolve("narrow.csv"), "id,x1,x2,x3,label\n0,0.1,0.2,0.3,1\n1,0.3,0.2,0.1,0\n");
        Files.writeString(dir.resolve("label7.csv"), Files.readString(dir.resolve("train.csv")) + "300,0.1,0.2,0.3,0.4,7\n");
        TestSpark.context();
        Cli.Result t = Cli.run("train", ChildJvm.PROJECT.resolve("jobs/fashion-mlp.conf").toString(), "--set",
                "data.format=csv", "--set", "data.dir=" + dir, "--set", "data.trainFile=train.csv", "--set",
                "data.testFile=test.csv", "--set", "data.featureCols=[x1,x2,x3,x4]", "--set", "data.numClasses=3",
                "--set", "model.hidden=[8]", "--set", "train.epochs=1", "--out", dir.resolve("run").toString());
        assertEquals(0, t.code(), t.err());
        model = dir.resolve("run/model.zip").toString();

        Path corrupt = Files.createDirectories(dir.resolve("corrupt"));
        Snapshots.write(corrupt, 0, 640);
        byte[] images = Files.readAllBytes(corrupt.resolve(Snapshots.TRAIN_IMAGES));
        Files.write(corrupt.resolve(Snapshots.TRAIN_IMAGES), java.util.Arrays.copyOf(images, images.length / 2));
        Snapshots.write(dir.resolve("snapshots/2026-11-24"), 0, 640, 200, label -> label == 3 ? 12 : label);

        StringBuilder wide = new StringBuilder("id");
        for (int c = 0; c < 784; c++) {
            wide.append(",pixel").append(c);
        }
        wide.append("\n0");
        for (int c = 0; c < 784; c++) {
            wide.append(",0.5");
        }
        Files.writeString(dir.resolve("pixels.csv"), wide.append('\n').toString());
    }

    private static String job() {
        return ChildJvm.PROJECT.resolve("jobs/fashion-mlp.conf").toString();
    }

    /** A table job on {@code trainFile} / {@code testFile} of {@link #dir}. */
    private static List<String> tableJob(String trainFile, String testFile) {
        return List.of("train", job(), "--set", "data.format=csv", "--set", "data.dir=" + dir, "--set",
                "data.trainFile=" + trainFile, "--set", "data.testFile=" + testFile, "--set", "data.numClasses=3",
                "--set", "model.hidden=[8]", "--set", "train.epochs=1");
    }

    /** Runs {@code argv} in a child JVM: exit 2, stderr one line that starts with "error: " and holds {@code says}. */
    private static String oneLine(String name, List<String> argv, String says) throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir.resolve("child-" + name), 240, argv.toArray(String[]::new));
        assertEquals(2, r.code(), name + ": exit code; stderr:\n" + r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), name + ": stderr is not one line:\n" + r.err());
        assertTrue(lines.get(0).startsWith("error: ") && lines.get(0).contains(says), name + ": " + lines.get(0));
        return lines.get(0);
    }

    @Test
    void anUnknownJobKeyABadValueAndAnUnknownOptionAreOneLineEach() throws Exception {
        oneLine("key", List.of("train", job(), "--set", "train.wrokers=4"), "unknown key 'train.wrokers'");
        oneLine("value", List.of("train", job(), "--set", "train.workers=0"), "train.workers");
        assertEquals("error: train: unknown option '--ouput' (see syncbn train --help)",
                oneLine("option", List.of("train", job(), "--ouput", "x"), "--ouput"));
    }

    @Test
    void aMissingACorruptAndAWronglyShapedDataFileAndALabelOutOfRangeAreOneLineEach() throws Exception {
        Path out = dir.resolve("never");
        List<String> missing = new ArrayList<>(List.of("train", job(), "--set", "data.dir=" + dir.resolve("nothing"),
                "--out", out.toString()));
        oneLine("missing", missing, "data file not found");
        List<String> corrupt = new ArrayList<>(List.of("train", job(), "--set", "data.dir=" + dir.resolve("corrupt"),
                "--set", "model.hidden=[8]", "--out", out.toString()));
        oneLine("corrupt", corrupt, Snapshots.TRAIN_IMAGES);
        List<String> shape = new ArrayList<>(tableJob("train.csv", "narrow.csv"));
        shape.addAll(List.of("--out", out.toString()));
        oneLine("shape", shape, "features");
        List<String> label = new ArrayList<>(tableJob("label7.csv", "test.csv"));
        label.addAll(List.of("--out", out.toString()));
        oneLine("label", label, "label");
        assertFalse(Files.exists(out.resolve("model.zip")) || Files.exists(out.resolve("checkpoint.zip")),
                "bad input wrote a run");
    }

    @Test
    void predictOfAFeatureCountTheModelDoesNotTakeIsOneShortLineAndANormalPredictWarnsOfNothing() throws Exception {
        String error = oneLine("predict-wide", List.of("predict", model, dir.resolve("pixels.csv").toString(),
                dir.resolve("never.csv").toString()), "the model expects 4 features per row, found 784");
        assertTrue(error.length() < 300, error.length() + " characters: " + error);
        assertFalse(Files.exists(dir.resolve("never.csv")));

        ChildJvm.Result ok = ChildJvm.run(dir.resolve("child-predict"), 240, "predict", model,
                dir.resolve("test.csv").toString(), dir.resolve("pred.csv").toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("predictions: " + dir.resolve("pred.csv") + " (one CSV file)"), ok.out());
        assertFalse(ok.err().contains("WARN"), "a normal run's stderr:\n" + ok.err());
        assertEquals(61, Files.readAllLines(dir.resolve("pred.csv")).size());
    }

    @Test
    void retrainOnASnapshotWithALabelOutOfRangeIsOneLineAndStoresNothing() throws Exception {
        Path registry = dir.resolve("registry");
        oneLine("retrain", List.of("retrain", ChildJvm.PROJECT.resolve("jobs/retrain-nightly.conf").toString(),
                "--set", "retrain.snapshotRoot=" + dir.resolve("snapshots"), "--set", "retrain.registry=" + registry,
                "--set", "retrain.snapshotPattern=\"\"", "--set", "model.hidden=[8]"), "label");
        assertFalse(Files.exists(registry.resolve("fashion-mlp/v1")), "a version was stored");
    }
}
