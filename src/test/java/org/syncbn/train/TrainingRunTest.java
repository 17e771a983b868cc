package org.syncbn.train;

import com.fasterxml.jackson.databind.JsonNode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.Json;
import org.syncbn.store.MetricsLog;
import org.syncbn.testing.TestSpark;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End-to-end runs of the training job on embedded local Spark, on a slice of Fashion-MNIST. */
class TrainingRunTest {
    @TempDir
    Path tmp;

    private static JobSpec slice(String... extra) {
        List<String> sets = new ArrayList<>(List.of(
                "data.dir=\"" + TestSpark.fashionMnistDir() + "\"",
                "data.maxTrainExamples=3000", "data.maxTestExamples=1000",
                "train.workers=2", "train.batchPerWorker=32", "train.epochs=2", "train.stepsPerRound=5",
                "model.hidden=[64,32]", "name=slice"));
        sets.addAll(List.of(extra));
        return JobSpecLoader.load(Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf"), sets);
    }

    private TrainingRun.Result run(JobSpec spec, Path out, boolean resume, RoundListener hook) {
        TrainingRun run = resume ? TrainingRun.resume(TestSpark.context(), out.toString())
                : TrainingRun.of(TestSpark.context(), spec).writingTo(out.toString());
        return run.afterEachRound(hook == null ? (r, s) -> { } : hook).run();
    }

    @Test
    void defaultJobOnASliceLearnsWellAboveChanceAndWritesItsOutputs() throws Exception {
        Path out = tmp.resolve("run");
        TrainingRun.Result o = run(slice(), out, false, null);
        assertTrue(o.lastEval().accuracy() > 0.70, "test accuracy " + o.lastEval().accuracy());
        assertEquals(1000, o.lastEval().count());

        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(out.resolve("model.zip").toFile(), true);
        double[] saved = restored.params().toDoubleVector();
        assertArrayEquals(o.finalParams(), saved, 0.0);

        List<JsonNode> metrics = new MetricsLog(out.resolve("metrics.jsonl")).read();
        assertEquals(2, metrics.size());
        for (String key : List.of("epoch", "round", "train_loss", "test_loss", "test_accuracy", "samples_per_sec",
                "elapsed_sec")) {
            assertTrue(metrics.get(1).hasNonNull(key), "metrics lack " + key);
        }
        assertEquals(2, metrics.get(1).get("epoch").asInt());
        List<String> fields = new ArrayList<>();
        metrics.get(1).fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("epoch", "round", "train_loss", "test_loss", "test_accuracy", "test_examples",
                "samples_per_sec", "elapsed_sec", "round_overhead_fraction", "eval_sec", "round_sec"), fields,
                "metrics.jsonl fields in their documented order");
        assertEquals(o.lastEval().accuracy(), metrics.get(1).get("test_accuracy").asDouble(), 0.0);

        JsonNode prov = Json.mapper().readTree(Files.readString(out.resolve("provenance.json")));
        List<String> top = new ArrayList<>();
        prov.fieldNames().forEachRemaining(top::add);
        assertEquals(List.of("job", "seed", "started", "finished", "command", "versions", "spark_master", "workers",
                "threads_per_worker", "data", "rounds", "final_metrics", "spec"), top,
                "provenance.json fields in their documented order");
        assertEquals(42, prov.get("seed").asLong());
        assertTrue(prov.get("spec").isObject(), "spec is a JSON object");
        assertEquals(32, prov.get("spec").path("train").path("batchPerWorker").asInt());
        assertTrue(prov.get("versions").get("nd4j_native").asText().startsWith("linux-x86_64"));
        assertEquals("3.5.9", prov.get("versions").get("spark").asText());
        assertEquals("1.0.0-M2", prov.get("versions").get("dl4j").asText());
        assertEquals(64, prov.get("data").get("sha256").get("train-images-idx3-ubyte.gz").asText().length());
    }

    @Test
    void sameSpecAndSeedGiveBitwiseIdenticalParameters() {
        TrainingRun.Result a = run(slice("train.epochs=1"), tmp.resolve("a"), false, null);
        TrainingRun.Result b = run(slice("train.epochs=1"), tmp.resolve("b"), false, null);
        assertArrayEquals(a.finalParams(), b.finalParams(), 0.0);
        TrainingRun.Result c = run(slice("train.epochs=1", "seed=7"), tmp.resolve("c"), false, null);
        assertFalse(java.util.Arrays.equals(a.finalParams(), c.finalParams()));
    }

    @Test
    void resumeAfterACrashEndsWithBitwiseTheParametersOfAnUninterruptedRun() throws Exception {
        JobSpec spec = slice("checkpoint.everyRounds=3");
        TrainingRun.Result whole = run(spec, tmp.resolve("whole"), false, null);

        Path out = tmp.resolve("crashed");
        RuntimeException crash = assertThrows(RuntimeException.class, () -> run(spec, out, false, (r, s) -> {
            if (r.round() == 7) {
                throw new RuntimeException("injected crash after round 7");
            }
        }));
        assertEquals("injected crash after round 7", crash.getMessage());
        assertEquals(6, Checkpoint.read(new org.syncbn.store.LocalFileStore(out)).nextRound());
        assertFalse(Files.exists(out.resolve("model.zip")));

        TrainingRun.Result resumed = run(null, out, true, null);
        assertArrayEquals(whole.finalParams(), resumed.finalParams(), 0.0);
        List<JsonNode> metrics = new MetricsLog(out.resolve("metrics.jsonl")).read();
        assertEquals(2, metrics.size(), "one metrics line per epoch after the resume");
        assertEquals(whole.lastEval().accuracy(), resumed.lastEval().accuracy(), 0.0);
        List<JsonNode> wholeMetrics = new MetricsLog(tmp.resolve("whole").resolve("metrics.jsonl")).read();
        for (int e = 0; e < 2; e++) {
            assertEquals(wholeMetrics.get(e).get("train_loss").asDouble(), metrics.get(e).get("train_loss").asDouble(), 0.0,
                    "epoch " + (e + 1) + "'s train_loss averages the whole epoch across the resume");
            assertEquals(wholeMetrics.get(e).get("round").asInt(), metrics.get(e).get("round").asInt());
        }
    }

    @Test
    void aSecondRunRefusesToOverwriteAFinishedOutputDirectory() {
        Path out = tmp.resolve("once");
        run(slice("train.epochs=1", "data.maxTrainExamples=640"), out, false, null);
        Exception e = assertThrows(org.syncbn.config.SpecException.class,
                () -> run(slice("train.epochs=1"), out, false, null));
        assertTrue(e.getMessage().contains("already holds a run"), e.getMessage());
    }
}
