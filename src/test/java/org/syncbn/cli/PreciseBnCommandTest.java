package org.syncbn.cli;

import org.syncbn.testing.Cli;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.testing.TestSpark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreciseBnCommandTest {
    @TempDir
    Path tmp;


    private static Cli.Result run(String... argv) {
        return Cli.run(argv);
    }

    @Test
    void preciseBnOfASavedModelReportsBothAccuraciesAndWritesTheModelWithNewStatistics() throws Exception {
        TestSpark.context();
        Path run = tmp.resolve("run");
        String job = Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf").toString();
        Cli.Result t = run("train", job, "--set", "data.maxTrainExamples=1280", "--set", "data.maxTestExamples=300",
                "--set", "train.epochs=1", "--set", "model.hidden=[24]", "--out", run.toString());
        assertEquals(0, t.code(), t.err());

        Cli.Result p = run("precise-bn", run.resolve("model.zip").toString(), "--examples", "800",
                "--data", TestSpark.fashionMnistDir(), "--set", "data.maxTrainExamples=1280",
                "--set", "data.maxTestExamples=300");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("running (EMA)") && p.out().contains("precise (N=800)"), p.out());
        assertTrue(p.out().contains("300 test examples; PreciseBN over 1 BN layers"), p.out());

        MultiLayerNetwork before = ModelSerializer.restoreMultiLayerNetwork(run.resolve("model.zip").toFile(), false);
        MultiLayerNetwork after = ModelSerializer.restoreMultiLayerNetwork(run.resolve("model-precise.zip").toFile(), false);
        assertArrayEquals(before.getLayer(0).params().toDoubleVector(), after.getLayer(0).params().toDoubleVector(), 0.0);
        assertFalse(Arrays.equals(before.getLayer(1).getParam("mean").toDoubleVector(),
                after.getLayer(1).getParam("mean").toDoubleVector()));
    }

    @Test
    void missingOrBadExampleCountAndAModelWithoutBnAreBadInput() throws Exception {
        Path model = tmp.resolve("nope.zip");
        Cli.Result none = run("precise-bn", model.toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--examples N is required"), none.err());
        Cli.Result bad = run("precise-bn", model.toString(), "--examples", "-3");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--examples -3: expected an integer >= 1"), bad.err());
        Cli.Result missing = run("precise-bn", model.toString(), "--examples", "10");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("model file not found"), missing.err());
        assertFalse(Files.exists(tmp.resolve("model-precise.zip")));
    }
}
