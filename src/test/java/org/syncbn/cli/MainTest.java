package org.syncbn.cli;

import org.syncbn.testing.Cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.testing.TestSpark;

import java.nio.file.Files;
import java.nio.file.Path;

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
        assertTrue(opt.err().contains("--ouput"), opt.err());
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
