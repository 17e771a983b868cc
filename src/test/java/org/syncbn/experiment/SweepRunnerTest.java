package org.syncbn.experiment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.SpecException;
import org.syncbn.store.LocalFileStore;
import org.syncbn.testing.TestSpark;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SweepRunnerTest {
    @TempDir
    Path tmp;

    private Path sweepFile(String axes) throws Exception {
        Path f = tmp.resolve("tiny-sweep.conf");
        Files.writeString(f, """
                name = tiny-sweep
                data { dir = "%s", maxTrainExamples = 640, maxTestExamples = 200 }
                model.hidden = [16]
                train { workers = 2, batchPerWorker = 32, epochs = 1, stepsPerRound = 5 }
                sweep {
                  axes = [ %s ]
                  presets { default { train.epochs = 1 }, longer { train.epochs = 2 } }
                }
                """.formatted(TestSpark.fashionMnistDir(), axes));
        return f;
    }

    private String run(SweepSpec sweep, Path out) {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        new SweepRunner(TestSpark.context(), new PrintStream(progress, true, StandardCharsets.UTF_8))
                .run(sweep, new LocalFileStore(out));
        return progress.toString(StandardCharsets.UTF_8);
    }

    @Test
    void cellsAreTheCartesianProductOfTheAxesFirstAxisSlowest() throws Exception {
        SweepSpec s = SweepSpecLoader.load(sweepFile(
                "{ key = train.workers, values = [1, 2] }, { key = bn.mode, values = [sync, \"ghost:4\"] }"), List.of());
        assertEquals(List.of("train.workers=1,bn.mode=sync", "train.workers=1,bn.mode=\"ghost:4\"",
                        "train.workers=2,bn.mode=sync", "train.workers=2,bn.mode=\"ghost:4\""),
                s.cells().stream().map(SweepSpec.Cell::key).toList());
        assertEquals("default", s.preset());
        assertEquals(List.of("train.epochs=1"), s.commonSets());
        assertEquals(List.of("train.epochs=2"), SweepSpecLoader.load(sweepFile("{ key = seed, values = [1] }"),
                List.of("preset=longer")).commonSets());
        assertEquals(SweepSpecLoader.DEFAULT_PRECISE_EXAMPLES, s.preciseExamples());
        assertEquals(SweepSpecLoader.DEFAULT_PRECISE_EXAMPLES,
                SweepSpecLoader.cellSpec(s, s.cells().get(0)).bn().preciseExamples(), "PreciseBN in every cell");
        SweepSpec off = SweepSpecLoader.load(sweepFile("{ key = seed, values = [1] }"), List.of("sweep.preciseExamples=0"));
        assertEquals(0, SweepSpecLoader.cellSpec(off, off.cells().get(0)).bn().preciseExamples());
        SweepSpec own = SweepSpecLoader.load(sweepFile("{ key = seed, values = [1] }"), List.of("bn.precise.examples=77"));
        assertEquals(77, SweepSpecLoader.cellSpec(own, own.cells().get(0)).bn().preciseExamples(),
                "a job's own bn.precise.examples wins");
    }

    @Test
    void trainSyncIsAnAxisAndTheReportSaysHowEachCellTrainedAndWasEvaluated() throws Exception {
        SweepSpec sweep = SweepSpecLoader.load(sweepFile("{ key = train.sync, values = [parameters, gradients] }"),
                List.of("sweep.preciseExamples=300", "bn.mode=sync"));
        Path out = tmp.resolve("out");
        run(sweep, out);
        List<CellResult> rows = new SweepResults(new LocalFileStore(out)).read();
        assertEquals(List.of("parameters", "gradients"), rows.stream().map(CellResult::sync).toList());
        assertEquals(List.of("dl4j", "dl4j"), rows.stream().map(CellResult::runningStats).toList());
        for (CellResult r : rows) {
            assertEquals(300, r.preciseExamples());
            assertTrue(r.preciseAccuracy() > 0.1 && r.preciseAccuracy() <= 1, "PreciseBN accuracy " + r.preciseAccuracy());
        }
        assertTrue(rows.get(0).finalAccuracy() != rows.get(1).finalAccuracy()
                || !rows.get(0).trainLossCurve().equals(rows.get(1).trainLossCurve()),
                "local SGD over 5-step rounds and SGD on the global batch train differently");
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("- workers kept in step by: parameters: parameters averaged after every round")
                && report.contains("(cells 0); gradients: gradients all-reduced before every step (SGD on the global batch) (cells 1)")
                && report.contains("- BN running statistics: dl4j: DL4J's rule")
                && report.contains("and PreciseBN statistics over 300 training examples")
                && report.contains("| PreciseBN acc | PreciseBN error |"), report);
        assertTrue(Files.readAllLines(out.resolve("results.csv")).get(0)
                .contains(",precise_test_accuracy,precise_examples,sync,running_stats,"));
    }

    @Test
    void resultRowsWrittenBeforeTheTrainingRuleKeysReadAsTheOnlyRulesThereWere() throws Exception {
        Path out = tmp.resolve("old");
        Files.createDirectories(out);
        Files.writeString(out.resolve(SweepResults.JSONL), "{\"cell\":0,\"key\":\"bn.mode=sync\",\"assignment\":"
                + "{\"bn.mode\":\"sync\"},\"preset\":\"default\",\"sgdBatch\":256,\"normBatch\":256,\"epochs\":4,"
                + "\"steps\":936,\"finalAccuracy\":0.87,\"bestAccuracy\":0.87,\"finalLoss\":0.36,\"bestLoss\":0.36,"
                + "\"preciseAccuracy\":\"NaN\",\"samplesPerSec\":3000,\"trainSec\":80,\"wallSec\":90,"
                + "\"trainLossCurve\":[0.5],\"testAccuracyCurve\":[0.87],\"spec\":\"\"}\n");
        CellResult row = new SweepResults(new LocalFileStore(out)).read().get(0);
        assertEquals("parameters", row.sync());
        assertEquals("dl4j", row.runningStats());
        assertEquals(0, row.preciseExamples());
    }

    @Test
    void aTwoCellSweepWritesItsTablesAndARerunSkipsFinishedCells() throws Exception {
        SweepSpec sweep = SweepSpecLoader.load(sweepFile("{ key = bn.mode, values = [sync, local] }"), List.of());
        Path out = tmp.resolve("out");
        String first = run(sweep, out);
        assertTrue(first.contains("2 cells, 0 done, 2 to run") && first.contains("sweep: cell 2/2"), first);

        List<CellResult> rows = new SweepResults(new LocalFileStore(out)).read();
        assertEquals(2, rows.size());
        CellResult sync = rows.get(0);
        CellResult local = rows.get(1);
        assertEquals("bn.mode=sync", sync.key());
        assertEquals(64, sync.sgdBatch());
        assertEquals(64, sync.normBatch(), "sync normalises over both workers' 32");
        assertEquals(32, local.normBatch());
        assertEquals(10, sync.steps(), "640 examples / (2 x 32) per step, 1 epoch");
        assertTrue(sync.finalAccuracy() > 0.1 && sync.bestAccuracy() >= sync.finalAccuracy());
        assertEquals(1, sync.trainLossCurve().size());
        assertTrue(sync.spec().contains("mode=sync"));
        assertTrue(Files.exists(out.resolve("cells").resolve("cell-000-bn.mode=sync").resolve("model.zip")));

        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(3, csv.size());
        assertTrue(csv.get(0).startsWith("cell,bn.mode,preset,sgd_batch,norm_batch,epochs,steps,final_test_accuracy"),
                csv.get(0));
        assertTrue(csv.get(1).startsWith("0,sync,default,64,64,1,10,"), csv.get(1));
        assertTrue(csv.get(2).startsWith("1,local,default,64,32,1,10,"), csv.get(2));

        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("| cell | bn.mode | SGD batch | norm batch |") && report.contains("| 1 | local | 64 | 32 |")
                && report.contains("![error-vs-norm-batch](error-vs-norm-batch.png)"), report);
        byte[] png = Files.readAllBytes(out.resolve("error-vs-norm-batch.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
        assertTrue(!Files.exists(out.resolve("error-vs-sgd-batch.png")), "one SGD batch: nothing to plot against");

        String jsonl = Files.readString(out.resolve("results.jsonl"));
        String again = run(sweep, out);
        assertTrue(again.contains("2 cells, 2 done, 0 to run"), again);
        assertEquals(jsonl, Files.readString(out.resolve("results.jsonl")), "nothing re-ran");
    }

    @Test
    void aCellMissingFromTheResultsRunsAgainFromItsCheckpoint() throws Exception {
        SweepSpec sweep = SweepSpecLoader.load(sweepFile("{ key = bn.mode, values = [sync, local] }"), List.of());
        Path out = tmp.resolve("out");
        run(sweep, out);
        // as if the run died after cell 2's training but before its row was written
        List<String> lines = Files.readAllLines(out.resolve("results.jsonl"));
        Files.writeString(out.resolve("results.jsonl"), lines.get(0) + "\n");
        String again = run(sweep, out);
        assertTrue(again.contains("2 cells, 1 done, 1 to run"), again);
        List<CellResult> rows = new SweepResults(new LocalFileStore(out)).read();
        assertEquals(List.of("bn.mode=sync", "bn.mode=local"), rows.stream().map(CellResult::key).toList());
        assertEquals(lines.get(1).replaceAll("\"wallSec\":[^,]*,", ""),
                Files.readAllLines(out.resolve("results.jsonl")).get(1).replaceAll("\"wallSec\":[^,]*,", ""),
                "the resumed cell reports the same results");
    }

    @Test
    void aBadValueInAnyCellFailsBeforeAnythingRunsNamingTheCell() throws Exception {
        SpecException e = assertThrows(SpecException.class, () -> SweepSpecLoader.load(
                sweepFile("{ key = bn.mode, values = [sync] }"), List.of("sweep.preciseExamples=-1")));
        assertEquals("--set sweep.preciseExamples=-1: expected an integer >= 0 (training examples for PreciseBN in"
                + " every cell; 0 = off)", e.getMessage());
        e = assertThrows(SpecException.class, () -> SweepSpecLoader.load(
                sweepFile("{ key = bn.mode, values = [sync, bogus] }"), List.of()));
        assertTrue(e.getMessage().contains("cell bn.mode=bogus") && e.getMessage().contains("bn.mode"), e.getMessage());
        e = assertThrows(SpecException.class, () -> SweepSpecLoader.load(
                sweepFile("{ key = bn.mode, values = [sync] }"), List.of("preset=nope")));
        assertTrue(e.getMessage().contains("preset = nope: no such preset (known: default, longer)"), e.getMessage());
        e = assertThrows(SpecException.class, () -> SweepSpecLoader.load(sweepFile("{ key = bn.mode }"), List.of()));
        assertTrue(e.getMessage().contains("sweep.axes[0]"), e.getMessage());
    }

    @Test
    void theReadySweepsInJobsValidateInEveryCellAndPreset() {
        Path jobs = Path.of(System.getProperty("syncbn.projectDir", "."), "jobs");
        for (String name : List.of("bn-batch-sweep.conf", "large-batch-sweep.conf")) {
            for (String preset : List.of("default", "full")) {
                SweepSpec s = SweepSpecLoader.load(jobs.resolve(name), List.of("preset=" + preset));
                assertTrue(s.cells().size() >= 8, name + " " + preset);
            }
        }
        SweepSpec bn = SweepSpecLoader.load(jobs.resolve("bn-batch-sweep.conf"), List.of());
        assertEquals(List.of(2, 4, 8, 16, 32, 64, 128, 256), bn.cells().stream().map(c -> {
            org.syncbn.config.JobSpec spec = SweepSpecLoader.cellSpec(bn, c);
            assertEquals(org.syncbn.config.JobSpec.SyncMode.GRADIENTS, spec.train().sync(), c.key());
            return spec.bn().mode().normalizationBatch(spec.train().batchPerWorker(),
                    spec.train().workers());
        }).distinct().toList(), "normalisation batches at a fixed SGD batch of 256");
        assertEquals(List.of("dl4j", "population"), bn.cells().stream()
                .map(c -> SweepSpecLoader.cellSpec(bn, c).bn().runningStats().key()).distinct().toList());
        SweepSpec large = SweepSpecLoader.load(jobs.resolve("large-batch-sweep.conf"), List.of());
        assertTrue(large.cells().stream().allMatch(c -> SweepSpecLoader.cellSpec(large, c).train().sync()
                == org.syncbn.config.JobSpec.SyncMode.GRADIENTS), "true large-batch SGD");
    }
}
