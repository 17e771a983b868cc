package org.syncbn.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.testing.Cli;
import org.syncbn.testing.CraftedZips;
import org.syncbn.testing.Gadget;
import org.syncbn.testing.TestSpark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files an attacker crafted, as the command line meets them: a model zip or checkpoint carrying a
 * serialised class off the allow-list, HOCON that includes other files. Each is one line of bad input
 * naming the file (or the option) and the class, exit 2, nothing written, and the class never runs.
 */
class CraftedFilesTest {
    @TempDir
    static Path tmp;
    private static Path run;

    private static String job() {
        return Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf").toString();
    }

    @BeforeAll
    static void trainASmallRun() {
        TestSpark.context();
        run = tmp.resolve("run");
        Cli.Result t = Cli.run("train", job(), "--set", "data.dir=\"" + TestSpark.fashionMnistDir() + "\"",
                "--set", "data.maxTrainExamples=512", "--set", "data.maxTestExamples=200", "--set", "train.epochs=1",
                "--set", "model.hidden=[16]", "--out", run.toString());
        assertEquals(0, t.code(), t.err());
    }

    private static void assertOneLineRefusal(Cli.Result r, String... parts) {
        assertEquals(2, r.code(), r.err());
        // train prints its one progress header first; the error is one line after it, no stack trace
        java.util.List<String> errors = r.err().lines().filter(l -> !l.startsWith("syncbn train: job ")).toList();
        assertEquals(1, errors.size(), r.err());
        String line = errors.get(0);
        assertTrue(line.startsWith("error: "), line);
        for (String p : parts) {
            assertTrue(line.contains(p), "'" + p + "' missing from: " + line);
        }
    }

    @Test
    void evaluatingAModelZipWithASerialisedGadgetIsRefusedNamingFileAndClass() throws Exception {
        Path crafted = CraftedZips.withEntries(run.resolve("model.zip"), tmp.resolve("crafted-model.zip"),
                Map.of("preprocessor.bin", Gadget.serialized(new Gadget("evaluate"))));
        int before = Gadget.RUNS.get();
        Cli.Result r = Cli.run("evaluate", crafted.toString(), "--data", TestSpark.fashionMnistDir(),
                "--png", tmp.resolve("never.png").toString());
        assertOneLineRefusal(r, crafted.toString(), "preprocessor.bin", "class " + Gadget.class.getName());
        assertEquals(before, Gadget.RUNS.get(), "the gadget's code ran");
        assertFalse(Files.exists(tmp.resolve("never.png")));
    }

    @Test
    void resumingFromACheckpointWithAGadgetIsRefusedAndTheCheckpointStaysAsItWas() throws Exception {
        for (String entry : new String[] {"objects/syncbn-loop-state", "preprocessor.bin"}) {
            Path dir = tmp.resolve("resume-" + entry.replace('/', '_'));
            Files.createDirectories(dir);
            Path checkpoint = CraftedZips.withEntries(run.resolve("checkpoint.zip"), dir.resolve("checkpoint.zip"),
                    Map.of(entry, Gadget.serialized(new Gadget("resume"))));
            byte[] bytes = Files.readAllBytes(checkpoint);
            int before = Gadget.RUNS.get();
            Cli.Result r = Cli.run("train", "--resume", dir.toString());
            assertOneLineRefusal(r, checkpoint.toString(), entry, "class " + Gadget.class.getName());
            assertEquals(before, Gadget.RUNS.get(), entry + ": the gadget's code ran");
            assertArrayEquals(bytes, Files.readAllBytes(checkpoint));
            assertFalse(Files.exists(dir.resolve("model.zip")));
        }
    }

    @Test
    void aModelFileWithAGadgetIsRefusedBeforeTraining() throws Exception {
        Path crafted = CraftedZips.withEntries(run.resolve("model.zip"), tmp.resolve("start.zip"),
                Map.of("objects/x", Gadget.serialized(new Gadget("model.file"))));
        Path out = tmp.resolve("from-file");
        Cli.Result r = Cli.run("train", job(), "--set", "data.dir=\"" + TestSpark.fashionMnistDir() + "\"",
                "--set", "data.maxTrainExamples=256", "--set", "model.type=file",
                "--set", "model.file=\"" + crafted + "\"", "--out", out.toString());
        assertOneLineRefusal(r, "model.file = " + crafted, "objects/x", "class " + Gadget.class.getName());
        assertFalse(Files.exists(out.resolve("checkpoint.zip")));
    }

    @Test
    void includesInSetAndInAShippedSpecAreRefusedAndNothingIsRead() throws Exception {
        Path secret = tmp.resolve("included.conf");
        Files.writeString(secret, "name = \"read-from-an-include\"\n");
        for (String include : new String[] {"include \"" + secret + "\"", "include file(\"" + secret + "\")",
                "include required(file(\"" + secret + "\"))", "include url(\"file://" + secret + "\")",
                "include classpath(\"defaults.conf\")"}) {
            Cli.Result set = Cli.run("spec", job(), "--set", "seed=1\n" + include);
            assertOneLineRefusal(set, "--set", "is not allowed here");
            assertFalse(set.out().contains("read-from-an-include"));

            String shipped = Cli.run("spec", job(), "--set", "data.dir=\"/d\"").out() + "\n" + include + "\n";
            Cli.Result spec = Cli.run("train", "--spec-base64",
                    Base64.getEncoder().encodeToString(shipped.getBytes(StandardCharsets.UTF_8)), "--out",
                    tmp.resolve("never").toString());
            assertOneLineRefusal(spec, "resolved spec", "is not allowed here");
        }
        assertFalse(Files.exists(tmp.resolve("never")));
    }
}
