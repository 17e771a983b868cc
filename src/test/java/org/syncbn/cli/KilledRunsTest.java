package org.syncbn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.JobSpec;
import org.syncbn.experiment.SweepSpec;
import org.syncbn.experiment.SweepSpecLoader;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.FileStore;
import org.syncbn.store.Json;
import org.syncbn.store.LocalFileStore;
import org.syncbn.store.MetricsLog;
import org.syncbn.testing.ChildJvm;
import org.syncbn.testing.Cli;
import org.syncbn.testing.TestSpark;
import org.syncbn.train.TrainingRun;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run or a sweep cell SIGKILLed after its first checkpoint has landed: rerun or resumed, it continues
 * from that checkpoint to the result of an undisturbed run (parameters and every epoch's train_loss,
 * bitwise), leaves none of the temporary files a kill mid-write leaves (only those of this code's own
 * naming go), and records where it resumed in provenance.json. The first part runs in a child JVM
 * (killed with SIGKILL, as the OOM killer or a node loss would), the rest in this one.
 */
class KilledRunsTest {
    /** 1280 examples / (2 workers x 16) = 40 steps an epoch, one round each: time to kill it mid-epoch. */
    private static final List<String> SLICE = List.of("data.maxTrainExamples=1280", "data.maxTestExamples=200",
            "model.hidden=[16]", "train.workers=2", "train.batchPerWorker=16", "train.stepsPerRound=1",
            "train.epochs=2", "train.threadsPerWorker=1", "checkpoint.everyRounds=3");
    private static final int ROUNDS_PER_EPOCH = 40;

    @TempDir
    Path tmp;

    private static String job() {
        return ChildJvm.PROJECT.resolve("jobs/fashion-mlp.conf").toString();
    }

    private static String[] train(String out) {
        List<String> argv = new java.util.ArrayList<>(List.of("train", job(), "--out", out));
        for (String s : SLICE) {
            argv.add("--set");
            argv.add(s);
        }
        return argv.toArray(String[]::new);
    }

    @Test
    void aRunKilledMidEpochResumesToTheUndisturbedRunsParametersAndTrainLossAndLeavesNoTempFiles() throws Exception {
        Path out = tmp.resolve("killed");
        killAfterFirstCheckpoint(ChildJvm.cli(tmp.resolve("child"), train(out.toString())), out);
        Checkpoint at = Checkpoint.read(new LocalFileStore(out));
        assertTrue(at.nextRound() % ROUNDS_PER_EPOCH != 0, "killed mid-epoch, at round " + at.nextRound());
        List<Path> planted = plantStaleTemps(out, "checkpoint.zip", "metrics.jsonl");
        Path own = Files.writeString(out.resolve("notes.tmp"), "the user's own file");

        Cli.Result report = Cli.run("report", out.toString());
        assertEquals(0, report.code(), report.err());
        assertTrue(report.out().contains(": interrupted after epoch " + at.nextRound() / ROUNDS_PER_EPOCH + " of 2;"),
                report.out());

        TestSpark.context();
        Cli.Result resumed = Cli.run("train", "--resume", out.toString());
        assertEquals(0, resumed.code(), resumed.err());
        Path whole = tmp.resolve("whole");
        Cli.Result undisturbed = Cli.run(train(whole.toString()));
        assertEquals(0, undisturbed.code(), undisturbed.err());

        assertArrayEquals(params(whole), params(out), 0.0, "resumed parameters differ from the undisturbed run's");
        List<JsonNode> a = new MetricsLog(whole.resolve(TrainingRun.METRICS_FILE)).read();
        List<JsonNode> b = new MetricsLog(out.resolve(TrainingRun.METRICS_FILE)).read();
        assertEquals(2, b.size(), "one line per epoch");
        for (int e = 0; e < 2; e++) {
            assertEquals(e + 1, b.get(e).get("epoch").asInt());
            assertEquals((e + 1) * ROUNDS_PER_EPOCH, b.get(e).get("round").asInt(), "rounds counted from 1");
            assertEquals(a.get(e).get("train_loss").asDouble(), b.get(e).get("train_loss").asDouble(), 0.0,
                    "epoch " + (e + 1) + "'s train_loss: the whole epoch's, across the kill");
        }
        for (Path p : planted) {
            assertFalse(Files.exists(p), p + " was left behind");
        }
        assertTrue(Files.exists(own), "a file not of this code's naming is the user's and stays");
        assertNoOwnTemps(out);

        JsonNode prov = Json.mapper().readTree(Files.readString(out.resolve("provenance.json")));
        JsonNode from = prov.path("resumed_from");
        assertEquals(out.resolve("checkpoint.zip").toString(), from.path("checkpoint").asText());
        assertTrue(from.path("rounds_done").asInt() >= at.nextRound(), prov.toString());
        assertTrue(Instant.parse(prov.path("started").asText()).isBefore(Instant.parse(from.path("at").asText())),
                "started is the first JVM's start, kept across the resume");
        assertTrue(Instant.parse(prov.path("finished").asText()).isAfter(Instant.parse(from.path("at").asText())));
        assertFalse(Json.mapper().readTree(Files.readString(whole.resolve("provenance.json"))).has("resumed_from"));
        assertTrue(prov.path("spec").path("checkpoint").path("everyRounds").asInt() == 3, "spec is a JSON object");
        assertTrue(prov.path("versions").path("nd4j_native").asText().startsWith("linux-x86_64"), prov.toString());
        List<String> command = Json.mapper().convertValue(prov.path("command"), List.class);
        assertEquals(List.of("syncbn", "train", "--resume", out.toString()), command,
                "the command line of the resuming JVM: " + command);
        assertCurves(out.resolve("curves.png"));

        Cli.Result done = Cli.run("report", out.toString());
        assertEquals(0, done.code(), done.err());
        assertTrue(done.out().contains(": finished ("), done.out());
        assertTrue(done.out().contains("curves: " + out.resolve("curves.png")), done.out());
        assertEquals(2, done.out().lines().filter(l -> l.matches(" +[12] +(40|80) .*")).count(), done.out());
    }

    @Test
    void aSweepCellKilledAfterItsFirstCheckpointIsResumedFromItWhenTheSweepRunsAgain() throws Exception {
        Path file = Files.writeString(tmp.resolve("killed-sweep.conf"), """
                name = killed-sweep
                sweep { axes = [ { key = bn.mode, values = [sync, local] } ] }
                """);
        List<String> argv = new java.util.ArrayList<>(List.of("sweep", file.toString(), "--out",
                tmp.resolve("sweep").toString()));
        for (String s : SLICE) {
            argv.add("--set");
            argv.add(s);
        }
        SweepSpec sweep = SweepSpecLoader.load(file, SLICE);
        SweepSpec.Cell first = sweep.cells().get(0);
        Path cell = tmp.resolve("sweep/cells").resolve(first.dirName());
        killAfterFirstCheckpoint(ChildJvm.cli(tmp.resolve("child"), argv.toArray(String[]::new)), cell);
        List<Path> planted = plantStaleTemps(cell, "checkpoint.zip", "metrics.jsonl");
        planted.addAll(plantStaleTemps(tmp.resolve("sweep"), "results.jsonl", "results.csv"));

        TestSpark.context();
        Cli.Result again = Cli.run(argv.toArray(String[]::new));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("2 cells, 0 done, 2 to run"), again.err());
        for (Path p : planted) {
            assertFalse(Files.exists(p), p + " was left behind");
        }
        assertNoOwnTemps(tmp.resolve("sweep"));
        JsonNode prov = Json.mapper().readTree(Files.readString(cell.resolve("provenance.json")));
        assertTrue(prov.path("resumed_from").path("rounds_done").asInt() >= 3,
                "the cell continued from its checkpoint: " + prov.path("resumed_from"));

        Path reference = tmp.resolve("reference");
        JobSpec spec = SweepSpecLoader.cellSpec(sweep, first);
        TrainingRun.of(TestSpark.context(), spec).writingTo(reference.toString()).run();
        assertArrayEquals(params(reference), params(cell), 0.0, "the resumed cell ends where an undisturbed one does");
        // epoch lines (a sweep cell also has its PreciseBN line)
        List<JsonNode> a = new MetricsLog(reference.resolve(TrainingRun.METRICS_FILE)).read().stream()
                .filter(m -> m.has("epoch")).toList();
        List<JsonNode> b = new MetricsLog(cell.resolve(TrainingRun.METRICS_FILE)).read().stream()
                .filter(m -> m.has("epoch")).toList();
        assertEquals(a.size(), b.size());
        assertTrue(a.size() > 0);
        for (int e = 0; e < a.size(); e++) {
            assertEquals(a.get(e).get("train_loss").asDouble(), b.get(e).get("train_loss").asDouble(), 0.0);
        }
    }

    /** Waits for {@code dir}'s first checkpoint, then SIGKILLs {@code p} before the run is done. */
    private static void killAfterFirstCheckpoint(Process p, Path dir) throws Exception {
        long deadline = System.nanoTime() + 300_000_000_000L;
        try {
            while (!Files.exists(dir.resolve(Checkpoint.FILE))) {
                assertTrue(p.isAlive(), "the child ended before its first checkpoint");
                assertTrue(System.nanoTime() < deadline, "no checkpoint within 300 s");
                Thread.sleep(10);
            }
        } finally {
            p.destroyForcibly();   // SIGKILL
            p.waitFor();
        }
        assertEquals(137, p.exitValue(), "killed by SIGKILL");
        assertFalse(Files.exists(dir.resolve("model.zip")), "killed before the run ended");
    }

    /**
     * What a kill mid-write leaves: a hidden temp of each file, named as this code names them
     * (AtomicFiles: createTempFile's digits; HadoopFileStore: a UUID).
     */
    private static List<Path> plantStaleTemps(Path dir, String... names) throws Exception {
        List<Path> planted = new java.util.ArrayList<>();
        for (String n : names) {
            planted.add(Files.writeString(dir.resolve("." + n + ".8140692375112345678.tmp"), "half"));
            planted.add(Files.writeString(dir.resolve("." + n + "." + UUID.randomUUID() + ".tmp"), "half"));
        }
        return planted;
    }

    private static void assertNoOwnTemps(Path root) throws Exception {
        try (Stream<Path> all = Files.walk(root)) {
            List<Path> left = all.filter(p -> FileStore.OWN_TEMP.matcher(p.getFileName().toString()).matches()).toList();
            assertTrue(left.isEmpty(), "temporary files left: " + left);
        }
    }

    private static double[] params(Path run) throws Exception {
        return ModelSerializer.restoreMultiLayerNetwork(run.resolve("model.zip").toFile(), false).params()
                .toDoubleVector();
    }

    /** curves.png: a real picture (two panels, drawn lines), not an empty canvas. */
    static void assertCurves(Path png) throws Exception {
        assertTrue(Files.size(png) > 10_000, png + " is " + Files.size(png) + " bytes");
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() >= 800 && img.getHeight() >= 300, img.getWidth() + "x" + img.getHeight());
        double sum = 0;
        double sq = 0;
        int n = 0;
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                double v = ((rgb >> 16) + ((rgb >> 8) & 0xff) + (rgb & 0xff)) / 3.0;
                sum += v;
                sq += v * v;
                n++;
            }
        }
        double variance = sq / n - (sum / n) * (sum / n);
        assertTrue(variance > 100, "pixel variance " + variance);
        assertTrue(colours.size() > 20, colours.size() + " colours");
    }
}
