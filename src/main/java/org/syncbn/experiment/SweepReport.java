package org.syncbn.experiment;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.syncbn.bn.BnMode;
import org.syncbn.store.FileStore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * report.md of a sweep directory: the results table and PNG plots beside it, regenerated from
 * results.jsonl after every run of the sweep:
 * <ul>
 *   <li>error-vs-norm-batch.png: final test error against the BN normalisation batch, one series
 *       per BN mode kind (ghost, local, group, sync) and remaining axis values;</li>
 *   <li>error-vs-sgd-batch.png: final test error against the global SGD batch, one series per
 *       combination of the axes other than the batch sizes (e.g. per LR rule and warmup);</li>
 *   <li>train-loss.png: training loss per epoch, one curve per cell.</li>
 * </ul>
 * A plot whose x values do not vary across the cells is left out.
 */
public final class SweepReport {
    public static final String FILE = "report.md";
    private static final Set<String> BATCH_KEYS = Set.of("train.workers", "train.batchPerWorker", "bn.mode");

    private static final Map<String, String> SYNC_MEANING = Map.of(
            "parameters", "parameters averaged after every round of train.stepsPerRound local steps (local SGD)",
            "gradients", "gradients all-reduced before every step (SGD on the global batch)");
    private static final Map<String, String> RUNNING_MEANING = Map.of(
            "dl4j", "DL4J's rule (one update per normalisation batch, biased variance)",
            "population", "population rule (one update per step, unbiased variance of all its normalisation batches)");

    private SweepReport() {
    }

    /** The distinct values of one column over the rows, each with what it means and its cells when several. */
    private static String values(List<CellResult> rows, java.util.function.Function<CellResult, String> column,
                                 Map<String, String> meaning) {
        Map<String, List<Integer>> cells = new LinkedHashMap<>();
        for (CellResult r : rows) {
            cells.computeIfAbsent(column.apply(r), k -> new ArrayList<>()).add(r.cell());
        }
        List<String> parts = new ArrayList<>();
        cells.forEach((value, at) -> {
            String text = value + (meaning.containsKey(value) ? ": " + meaning.get(value) : "");
            parts.add(cells.size() == 1 ? text : text + " (cells " + at.stream().map(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(", ")) + ")");
        });
        return parts.isEmpty() ? "-" : String.join("; ", parts);
    }

    /** Writes report.md and its plots into {@code dir}. */
    public static void write(FileStore dir, SweepSpec sweep, List<CellResult> rows) {
        List<String> plots = new ArrayList<>();
        if (distinct(rows, true) > 1) {
            plot(dir, "error-vs-norm-batch.png", errorChart("Test error vs BN normalisation batch",
                    "normalisation batch (examples)", rows, true, r -> seriesKey(r, modeKindNeeded(rows))), plots);
        }
        if (distinct(rows, false) > 1) {
            plot(dir, "error-vs-sgd-batch.png", errorChart("Test error vs global SGD batch", "global batch (examples)",
                    rows, false, r -> seriesKey(r, false)), plots);
        }
        if (rows.stream().anyMatch(r -> r.trainLossCurve().size() > 1)) {
            plot(dir, "train-loss.png", lossChart(rows), plots);
        }
        dir.writeString(FILE, markdown(sweep, rows, plots));
    }

    private static long distinct(List<CellResult> rows, boolean norm) {
        return rows.stream().mapToInt(r -> norm ? r.normBatch() : r.sgdBatch()).distinct().count();
    }

    /**
     * Whether a line of the normalisation-batch plot must stay within one BN mode kind: only when two
     * cells that differ in nothing but the mode share a normalisation batch (ghost:32 and local at b = 32).
     * Otherwise one line runs through ghost, local, group and sync, as the batch grows.
     */
    static boolean modeKindNeeded(List<CellResult> rows) {
        Set<String> seen = new java.util.HashSet<>();
        for (CellResult r : rows) {
            if (!seen.add(seriesKey(r, false) + "@" + r.normBatch())) {
                return true;
            }
        }
        return false;
    }

    /** The axis values that are not batch sizes (and the BN mode kind when asked): what one line connects. */
    static String seriesKey(CellResult r, boolean withModeKind) {
        List<String> parts = new ArrayList<>();
        if (withModeKind) {
            String mode = SweepResults.unquote(r.assignment().getOrDefault("bn.mode", ""));
            if (!mode.isEmpty()) {
                parts.add(BnMode.parse(mode).kind().name().toLowerCase(Locale.ROOT));
            }
        }
        r.assignment().forEach((k, v) -> {
            if (!BATCH_KEYS.contains(k)) {
                parts.add(k.substring(k.lastIndexOf('.') + 1) + "=" + SweepResults.unquote(v));
            }
        });
        return parts.isEmpty() ? "all cells" : String.join(", ", parts);
    }

    private static XYChart errorChart(String title, String xTitle, List<CellResult> rows, boolean norm,
                                      java.util.function.Function<CellResult, String> series) {
        long lines = rows.stream().map(series).distinct().count() * (rows.stream().anyMatch(
                r -> !Double.isNaN(r.preciseAccuracy())) ? 2 : 1);
        // room for the legend below the plot, one row per line
        XYChart chart = new XYChartBuilder().width(900).height(480 + 22 * (int) lines).title(title).xAxisTitle(xTitle)
                .yAxisTitle("test error (1 - accuracy), last epoch").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        Map<String, TreeMap<Integer, Double>> points = new LinkedHashMap<>();
        for (CellResult r : rows) {
            points.computeIfAbsent(series.apply(r) + " (running statistics)", k -> new TreeMap<>())
                    .put(norm ? r.normBatch() : r.sgdBatch(), 1 - r.finalAccuracy());
        }
        for (CellResult r : rows) {
            if (!Double.isNaN(r.preciseAccuracy())) {
                points.computeIfAbsent(series.apply(r) + " (PreciseBN)", k -> new TreeMap<>())
                        .put(norm ? r.normBatch() : r.sgdBatch(), 1 - r.preciseAccuracy());
            }
        }
        points.forEach((name, p) -> {
            XYSeries s = chart.addSeries(name, p.keySet().stream().map(Integer::doubleValue).toList(),
                    new ArrayList<>(p.values()));
            s.setMarker(SeriesMarkers.CIRCLE);
        });
        return chart;
    }

    private static XYChart lossChart(List<CellResult> rows) {
        XYChart chart = new XYChartBuilder().width(900).height(560).title("Training loss per epoch")
                .xAxisTitle("epoch").yAxisTitle("mean training loss").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        for (CellResult r : rows) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int i = 0; i < r.trainLossCurve().size(); i++) {
                double v = r.trainLossCurve().get(i);
                if (Double.isFinite(v)) {
                    x.add((double) (i + 1));
                    y.add(v);
                }
            }
            if (!x.isEmpty()) {
                chart.addSeries(SweepResults.unquote(r.key()).replace("\"", ""), x, y).setMarker(SeriesMarkers.NONE);
            }
        }
        return chart;
    }

    private static void plot(FileStore dir, String name, XYChart chart, List<String> plots) {
        dir.write(name, tmp -> {
            try (var os = java.nio.file.Files.newOutputStream(tmp)) {
                BitmapEncoder.saveBitmap(chart, os, BitmapEncoder.BitmapFormat.PNG);
            }
        });
        plots.add(name);
    }

    static String markdown(SweepSpec sweep, List<CellResult> rows, List<String> plots) {
        StringBuilder md = new StringBuilder();
        md.append("# Sweep ").append(sweep.name()).append(sweep.preset().isEmpty() ? "" : " (preset " + sweep.preset() + ")")
                .append("\n\n");
        md.append("- sweep file: `").append(sweep.jobFile()).append("`\n");
        md.append("- common overrides: `").append(String.join(" ", sweep.commonSets())).append("`\n");
        md.append("- cells: ").append(rows.size()).append(" of ").append(sweep.cells().size()).append(" finished\n");
        md.append("- workers kept in step by: ").append(values(rows, CellResult::sync, SYNC_MEANING)).append('\n');
        md.append("- BN running statistics: ").append(values(rows, CellResult::runningStats, RUNNING_MEANING))
                .append('\n');
        md.append("- evaluated with: the running statistics after the last epoch")
                .append(rows.stream().anyMatch(r -> r.preciseExamples() > 0)
                        ? ", and PreciseBN statistics over " + values(rows, r -> String.valueOf(r.preciseExamples()),
                        Map.of("0", "none (off)")) + " training examples" : "")
                .append('\n');
        md.append("- generated by `scripts/syncbn sweep` from results.jsonl; per-cell specs and curves are there\n\n");
        List<String> axisKeys = sweep.axes().stream().map(SweepSpec.Axis::key).toList();
        md.append("| cell | ").append(String.join(" | ", axisKeys))
                .append(" | SGD batch | norm batch | test acc (last) | best | test error | PreciseBN acc | PreciseBN error"
                        + " | samples/s | train s |\n");
        md.append("|---".repeat(axisKeys.size() + 10)).append("|\n");
        for (CellResult r : rows) {
            md.append("| ").append(r.cell());
            for (String k : axisKeys) {
                md.append(" | ").append(SweepResults.unquote(r.assignment().getOrDefault(k, "")));
            }
            boolean precise = !Double.isNaN(r.preciseAccuracy());
            md.append(String.format(Locale.ROOT, " | %d | %d | %.4f | %.4f | %.4f | %s | %s | %.0f | %.0f |%n",
                    r.sgdBatch(), r.normBatch(), r.finalAccuracy(), r.bestAccuracy(), 1 - r.finalAccuracy(),
                    precise ? String.format(Locale.ROOT, "%.4f", r.preciseAccuracy()) : "-",
                    precise ? String.format(Locale.ROOT, "%.4f", 1 - r.preciseAccuracy()) : "-",
                    r.samplesPerSec(), r.trainSec()));
        }
        for (String p : plots) {
            md.append("\n![").append(p.replace(".png", "")).append("](").append(p).append(")\n");
        }
        return md.toString();
    }
}
