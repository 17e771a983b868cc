package org.syncbn.cli;

import org.syncbn.testing.Cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.testing.TestSpark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as a user meets it: exit codes, one-line errors, nothing written on bad input. */
class MainTest {
    @TempDir
    Path tmp;


    private static Cli.Result run(String... argv) {
        return Cli.run(argv);
    }

    private static String job() {
        return Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf").toString();
    }

    @Test
    void helpIsPrintedForTheProgramAndEveryCommand() {
        assertEquals(0, run("--help").code());
        Cli.Result train = run("train", "--help");
        assertEquals(0, train.code());
        assertTrue(train.out().contains("--resume DIR"));
        Cli.Result eval = run("evaluate", "--help");
        assertEquals(0, eval.code());
        assertTrue(eval.out().contains("--data DIR"));
        assertTrue(eval.out().contains("--png FILE"));
        Cli.Result predict = run("predict", "--help");
        assertEquals(0, predict.code());
        assertTrue(predict.out().contains("--id-cols"));
        assertTrue(run("--help").out().contains("predict <model> <input> <output>"));
        assertEquals(2, run().code());
    }

    @Test
    void badSpecValueExitsWithCodeTwoAndOneLineAndWritesNothing() {
        Path out = tmp.resolve("never");
        Cli.Result r = run("train", job(), "--set", "train.workers=0", "--out", out.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("train.workers") && r.err().contains("0"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void unknownCommandAndUnknownOptionAreBadInput() {
        Cli.Result cmd = run("trian");
        assertEquals(2, cmd.code());
        assertTrue(cmd.err().contains("unknown command 'trian'"), cmd.err());
        Cli.Result opt = run("train", job(), "--ouput", "x");
        assertEquals(2, opt.code());
        assertEquals("error: train: unknown option '--ouput' (see syncbn train --help)", opt.err().strip());
    }

    @Test
    void versionNamesTheProjectItsCommitSparkDl4jNd4jAndJavaForTheProgramAndEveryCommand() throws Exception {
        Cli.Result top = run("--version");
        assertEquals(0, top.code(), top.err());
        java.util.Properties own = new java.util.Properties();
        try (var in = Main.class.getResourceAsStream("/org/syncbn/version.properties")) {
            own.load(in);
        }
        List<String> lines = top.out().lines().toList();
        assertEquals("syncbn-spark " + own.getProperty("version"), lines.get(0));
        assertTrue(lines.get(1).matches("git commit +\\S+"), lines.get(1));
        assertEquals("spark        3.5.9", lines.get(2));
        assertEquals("dl4j         1.0.0-M2", lines.get(3));
        assertTrue(lines.get(4).startsWith("nd4j         1.0.0-M2 (native build linux-x86_64"), lines.get(4));
        assertTrue(lines.get(5).startsWith("java         " + System.getProperty("java.version") + " ("), lines.get(5));
        for (String command : List.of("train", "evaluate", "predict", "spec", "sweep", "report", "precise-bn", "retrain",
                "registry")) {
            Cli.Result r = run(command, "--version");
            assertEquals(0, r.code(), command + ": " + r.err());
            assertEquals(top.out(), r.out(), command);
        }
    }

    @Test
    void theTopLevelUsageNamesEveryCommandAndOnlyOptionsThatCommandHasAndPointsToItsHelp() {
        String usage = run("--help").out();
        assertTrue(usage.contains("Run 'syncbn <command> --help' for every option of a command."), usage);
        String command = null;
        for (String line : usage.lines().toList()) {
            java.util.regex.Matcher head = java.util.regex.Pattern.compile("^  ([a-z-]+) ").matcher(line);
            if (head.find()) {
                command = head.group(1);
            }
            if (command == null || !line.startsWith("  ")) {
                continue;
            }
            String help = run(command, "--help").out();
            java.util.regex.Matcher opt = java.util.regex.Pattern.compile("(--[a-z-]+)").matcher(line);
            while (opt.find()) {
                assertTrue(help.contains(opt.group(1)), "usage shows " + opt.group(1) + " for " + command
                        + ", which its --help does not list");
            }
        }
        for (String c : List.of("train", "spec", "report", "evaluate", "predict", "precise-bn", "sweep", "retrain",
                "registry")) {
            assertTrue(usage.contains("\n  " + c + " "), "usage lacks " + c);
        }
    }

    @Test
    void aGroupModeIsTakenUnquotedOnTheCommandLine() {
        Cli.Result r = run("spec", job(), "--set", "train.workers=3", "--set", "bn.mode=group:3", "--get", "bn.mode");
        assertEquals(0, r.code(), r.err());
        assertEquals("group:3", r.out().strip());
        Cli.Result bad = run("spec", job(), "--set", "bn.mode=group:2", "--set", "train.workers=3");
        assertEquals(2, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
    }

    @Test
    void missingDataDirectoryIsBadInputNamingTheFile() {
        Path out = tmp.resolve("nodata");
        Cli.Result r = run("train", job(), "--set", "data.dir=\"" + tmp.resolve("empty") + "\"", "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("data file not found") && r.err().contains("train-images-idx3-ubyte.gz"), r.err());
        assertFalse(Files.exists(out.resolve("model.zip")));
    }

    @Test
    void corruptDataFileIsBadInputNamingTheFile() throws Exception {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        String real = TestSpark.fashionMnistDir();
        for (String f : new String[] {"train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
            Files.copy(Path.of(real, f), data.resolve(f));
        }
        byte[] images = Files.readAllBytes(Path.of(real, "train-images-idx3-ubyte.gz"));
        Files.write(data.resolve("train-images-idx3-ubyte.gz"), java.util.Arrays.copyOf(images, images.length / 2));
        TestSpark.context();
        Cli.Result r = run("train", job(), "--set", "data.dir=\"" + data + "\"", "--out", tmp.resolve("o").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> l.startsWith("error:")).count(), r.err());
        assertTrue(r.err().contains("train-images-idx3-ubyte.gz"), r.err());
    }

    @Test
    void trainThenEvaluateThroughTheCommandLine() {
        TestSpark.context();   // the CLI reuses the running context instead of starting a second one
        Path out = tmp.resolve("cli-run");
        Cli.Result t = run("train", job(), "--set", "data.maxTrainExamples=1280", "--set", "data.maxTestExamples=500",
                "--set", "train.epochs=1", "--set", "model.hidden=[32]", "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(t.err().contains("round 1/"), t.err());
        assertTrue(t.err().contains("epoch 1: test accuracy"), t.err());
        assertTrue(Files.exists(out.resolve("model.zip")));

        Cli.Result e = run("evaluate", out.resolve("model.zip").toString(), "--set", "data.maxTestExamples=500");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("examples 500"), e.out());
        assertTrue(e.out().contains("accuracy 0."), e.out());
        // Fashion-MNIST's names, and the image inside the run directory, where it says
        assertTrue(e.out().contains(" class name        precision"), e.out());
        assertTrue(e.out().contains("     9 Ankle boot "), e.out());
        assertTrue(e.out().contains("confusion matrix image: " + out.resolve("confusion-matrix.png")), e.out());
        assertTrue(Files.isRegularFile(out.resolve("confusion-matrix.png")));
        Path elsewhere = tmp.resolve("images");
        Cli.Result e2 = run("evaluate", out.toString(), "--set", "data.maxTestExamples=100", "--out", elsewhere + "/");
        assertEquals(0, e2.code(), e2.err());
        assertTrue(e2.out().contains("confusion matrix image: " + elsewhere.resolve("confusion-matrix.png")), e2.out());
        assertTrue(Files.isRegularFile(elsewhere.resolve("confusion-matrix.png")));
        assertFalse(Files.exists(tmp.resolve("confusion-matrix.png")), "nothing in the run directory's parent");

        Cli.Result again = run("train", "--resume", out.toString());
        assertEquals(0, again.code(), again.err());
        Cli.Result mismatch = run("train", job(), "--resume", out.toString(), "--set", "train.epochs=1");
        assertEquals(2, mismatch.code());
        assertTrue(mismatch.err().contains("differs from the checkpoint"), mismatch.err());
    }

    @Test
    void specPrintsTheResolvedJobItsValuesAndABase64FormThatTrainAccepts() {
        Cli.Result text = run("spec", job(), "--set", "train.workers=3");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("workers=3") && text.out().contains("threadsPerWorker=0"), text.out());
        Cli.Result values = run("spec", job(), "--set", "train.workers=3", "--get", "name,train.workers");
        assertEquals("fashion-mlp\n3\n", values.out().replace("\r", ""));
        Cli.Result missing = run("spec", job(), "--get", "train.wrokers");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no key 'train.wrokers'"), missing.err());

        Cli.Result b64 = run("spec", job(), "--set", "train.workers=0");
        assertEquals(2, b64.code(), "a bad job is rejected before it is shipped");
        String encoded = run("spec", job(), "--set", "data.maxTrainExamples=640", "--set", "data.maxTestExamples=200",
                "--set", "train.epochs=1", "--set", "model.hidden=[16]", "--base64").out().strip();
        TestSpark.context();
        Path out = tmp.resolve("inline");
        Cli.Result t = run("train", "--spec-base64", encoded, "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(Files.exists(out.resolve("model.zip")));
        Cli.Result both = run("train", job(), "--spec-base64", encoded);
        assertEquals(2, both.code());
        Cli.Result garbage = run("train", "--spec-base64", "%%%");
        assertEquals(2, garbage.code());
        assertTrue(garbage.err().contains("--spec-base64: not base64"), garbage.err());
    }

    @Test
    void moreWorkersThanTheMasterHasSlotsFailsAtOnceSayingWhatItNeedsAndHas() {
        TestSpark.context();   // local[4]
        Path out = tmp.resolve("five");
        long t0 = System.nanoTime();
        Cli.Result r = run("train", job(), "--set", "train.workers=5", "--set", "data.maxTrainExamples=640",
                "--set", "data.maxTestExamples=200", "--set", "model.hidden=[16]", "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("error: train.workers = 5 needs 5 task slots at once (one barrier task per worker),"
                + " the cluster has 4 (executor cores / spark.task.cpus = 1): add executors or cores, or lower"
                + " train.workers"), r.err());
        assertTrue((System.nanoTime() - t0) / 1e9 < 30);
    }
}
