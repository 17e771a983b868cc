package org.syncbn.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.api.java.JavaSparkContext;
import org.syncbn.config.JobSpec;
import org.syncbn.data.ShardPlan;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.FileStore;
import org.syncbn.store.MetricsLog;
import org.syncbn.train.TrainingRun;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Runs a sweep's cells one after another on one Spark context. Each cell trains in
 * {@code <out>/cells/<cell>/} like any job; a finished cell is appended to the results files at
 * once. Re-running the same sweep skips the cells already in results.jsonl (same preset and
 * assignment) and resumes a cell that was interrupted from its checkpoint.
 */
public final class SweepRunner {
    private final JavaSparkContext sc;
    private final PrintStream progress;

    public SweepRunner(JavaSparkContext sc, PrintStream progress) {
        this.sc = sc;
        this.progress = progress;
    }

    /** Runs what is left of {@code sweep} into {@code out}; returns all rows, old and new. */
    public List<CellResult> run(SweepSpec sweep, FileStore out) {
        out.removeStaleTemps();   // a killed sweep's half-written results files (each cell's run cleans its own)
        SweepResults results = new SweepResults(out);
        List<String> axisKeys = sweep.axes().stream().map(SweepSpec.Axis::key).toList();
        Set<String> done = new HashSet<>();
        for (CellResult r : results.read()) {
            done.add(r.preset() + "|" + r.key());
        }
        List<SweepSpec.Cell> cells = sweep.cells();
        List<SweepSpec.Cell> todo = cells.stream().filter(c -> !done.contains(sweep.preset() + "|" + c.key())).toList();
        progress.printf(Locale.ROOT, "sweep %s%s: %d cells, %d done, %d to run, results in %s%n", sweep.name(),
                sweep.preset().isEmpty() ? "" : " (preset " + sweep.preset() + ")", cells.size(),
                cells.size() - todo.size(), todo.size(), out.location());
        double spent = 0;
        int ran = 0;
        for (SweepSpec.Cell cell : todo) {
            JobSpec spec = SweepSpecLoader.cellSpec(sweep, cell);
            progress.printf(Locale.ROOT, "sweep: cell %d/%d  %s%s%n", cell.index() + 1, cells.size(), cell.key(),
                    ran == 0 ? "" : "  (ETA " + hms(spent / ran * (todo.size() - ran)) + ")");
            long t0 = System.nanoTime();
            FileStore dir = out.resolve("cells").resolve(cell.dirName());
            (Checkpoint.exists(dir) ? TrainingRun.resume(sc, dir.location()) : TrainingRun.of(sc, spec).writingTo(dir.location()))
                    .progress(quiet()).run();
            double wall = (System.nanoTime() - t0) / 1e9;
            CellResult row = result(sweep, cell, spec, dir, wall);
            results.append(row, axisKeys);
            spent += wall;
            ran++;
            progress.printf(Locale.ROOT, "sweep: cell %d/%d done in %s: test accuracy %.4f (best %.4f)%n",
                    cell.index() + 1, cells.size(), hms(wall), row.finalAccuracy(), row.bestAccuracy());
        }
        List<CellResult> rows = results.read();
        SweepReport.write(out, sweep, rows);
        return rows;
    }

    static CellResult result(SweepSpec sweep, SweepSpec.Cell cell, JobSpec spec, FileStore dir, double wall) {
        List<JsonNode> all = new MetricsLog(dir, TrainingRun.METRICS_FILE).read();
        List<JsonNode> metrics = all.stream().filter(m -> m.has("epoch")).toList();
        JsonNode preciseBn = all.stream().filter(m -> m.has("precise_bn")).map(m -> m.path("precise_bn"))
                .reduce((a, b) -> b).orElse(null);
        double precise = preciseBn != null ? preciseBn.path("precise_test_accuracy").asDouble() : Double.NaN;
        long preciseExamples = preciseBn != null ? preciseBn.path("examples").asLong() : 0;
        if (metrics.isEmpty()) {
            throw new IllegalStateException("cell " + cell.key() + " finished without an evaluation in "
                    + dir.describe(TrainingRun.METRICS_FILE));
        }
        JsonNode last = metrics.get(metrics.size() - 1);
        double bestAcc = Double.NEGATIVE_INFINITY;
        double bestLoss = Double.POSITIVE_INFINITY;
        List<Double> trainLoss = new ArrayList<>();
        List<Double> testAcc = new ArrayList<>();
        for (JsonNode m : metrics) {
            bestAcc = Math.max(bestAcc, m.path("test_accuracy").asDouble());
            bestLoss = Math.min(bestLoss, m.path("test_loss").asDouble());
            trainLoss.add(m.path("train_loss").isNumber() ? m.path("train_loss").asDouble() : Double.NaN);
            testAcc.add(m.path("test_accuracy").asDouble());
        }
        int workers = spec.train().workers();
        int b = spec.train().batchPerWorker();
        int epochs = spec.train().epochs();
        long examples = trainExamples(dir);
        long steps = (long) epochs * new ShardPlan((int) examples, workers, b, spec.seed(), spec.data().shuffle()).stepsPerEpoch();
        double trainSec = last.path("elapsed_sec").asDouble();
        return new CellResult(cell.index(), cell.key(), cell.assignment(), sweep.preset(), workers * b,
                spec.bn().mode().normalizationBatch(b, workers), epochs, steps,
                last.path("test_accuracy").asDouble(), bestAcc, last.path("test_loss").asDouble(), bestLoss, precise,
                preciseExamples, spec.train().sync().key(), spec.bn().runningStats().key(), trainSec > 0 ? (double) epochs * examples / trainSec : Double.NaN, trainSec, wall,
                trainLoss, testAcc, spec.resolvedHocon());
    }

    /** Training examples of the cell's run, as its provenance recorded them. */
    private static long trainExamples(FileStore dir) {
        try {
            return org.syncbn.store.Json.mapper().readTree(dir.readString(org.syncbn.store.Provenance.FILE))
                    .path("data").path("train_examples").asLong();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }

    private static String hms(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
