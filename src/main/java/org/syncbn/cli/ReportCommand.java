package org.syncbn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.eval.LearningCurves;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.FileStore;
import org.syncbn.store.Json;
import org.syncbn.store.MetricsLog;
import org.syncbn.store.ModelExport;
import org.syncbn.store.Provenance;
import org.syncbn.train.TrainingRun;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** {@code syncbn report}: a run's state and metrics table, from its files; redraws curves.png. */
final class ReportCommand {
    static final String HELP = """
            usage: syncbn report <run dir>

              <run dir>           a training output directory (local path or Hadoop URI), finished or
                                  interrupted: what 'syncbn train --out' writes
              --version           print the versions and exit

            Prints whether the run finished or where it stopped, then one row per evaluated epoch from
            metrics.jsonl (epoch, rounds done, training and test loss, test accuracy, samples/s, training
            seconds) and the PreciseBN figures when there are any, and redraws <run dir>/curves.png (loss
            and accuracy per epoch). Starts no Spark.
            Exit codes: 0 done, 2 bad input (not a run directory).
            """;

    private ReportCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args = Args.parse("report", argv, 0, Set.of(), Set.of("--help", "-h"));
        if (args.flags().contains("--help") || args.flags().contains("-h")) {
            out.print(HELP);
            return 0;
        }
        if (args.positionals().size() != 1 || !args.sets().isEmpty()) {
            throw new SpecException("report: expected one run directory, got " + args.positionals()
                    + " (usage: syncbn report <run dir>)");
        }
        String dir = args.positionals().get(0);
        FileStore run = FileStore.at(dir, org.apache.spark.deploy.SparkHadoopUtil.get()::conf);
        boolean finished = run.exists(ModelExport.MODEL_FILE) && run.exists(Provenance.FILE);
        boolean checkpoint = Checkpoint.exists(run);
        if (!run.exists(TrainingRun.METRICS_FILE) && !checkpoint && !finished) {
            throw new SpecException(dir + ": no " + TrainingRun.METRICS_FILE + " or " + Checkpoint.FILE
                    + ": expected a training output directory (what syncbn train --out writes)");
        }
        Optional<JobSpec> spec = spec(run, finished, checkpoint);
        String epochs = spec.map(s -> " of " + s.train().epochs()).orElse("");
        List<JsonNode> lines = new MetricsLog(run, TrainingRun.METRICS_FILE).read();
        List<LearningCurves.Point> points = LearningCurves.points(lines);
        int evaluated = points.isEmpty() ? 0 : points.get(points.size() - 1).epoch();
        if (finished) {
            out.println("run " + run.location() + ": finished (" + run.describe(ModelExport.MODEL_FILE) + ")");
        } else if (checkpoint) {
            out.println("run " + run.location() + ": interrupted after epoch " + evaluated + epochs
                    + "; 'syncbn train --resume " + run.location() + "' continues it from " + Checkpoint.FILE);
        } else {
            out.println("run " + run.location() + ": interrupted before its first checkpoint (start it again)");
        }
        out.printf(Locale.ROOT, "%6s %7s %11s %10s %9s %10s %9s%n", "epoch", "round", "train_loss", "test_loss",
                "test_acc", "samples/s", "train_s");
        for (JsonNode m : lines) {
            if (m.has("epoch")) {
                out.printf(Locale.ROOT, "%6d %7d %11s %10.4f %9.4f %10s %9.1f%n", m.get("epoch").asInt(),
                        m.path("round").asInt(), number(m.path("train_loss"), "%.4f"), m.path("test_loss").asDouble(),
                        m.path("test_accuracy").asDouble(), number(m.path("samples_per_sec"), "%.0f"),
                        m.path("elapsed_sec").asDouble());
            } else if (m.has("precise_bn")) {
                JsonNode p = m.get("precise_bn");
                out.printf(Locale.ROOT, "PreciseBN over %d examples: test accuracy %.4f (running statistics %.4f)%n",
                        p.path("examples").asLong(), p.path("precise_test_accuracy").asDouble(),
                        p.path("ema_test_accuracy").asDouble());
            }
        }
        String name = spec.map(JobSpec::name).orElse(run.location());
        if (LearningCurves.redraw(run, name, lines)) {
            out.println("curves: " + run.describe(LearningCurves.FILE));
        } else {
            out.println("curves: none (" + (points.isEmpty() ? "no epoch evaluated yet" : "could not draw; see the log")
                    + ")");
        }
        return 0;
    }

    /** The run's spec: from provenance.json when it finished, else from its checkpoint. */
    private static Optional<JobSpec> spec(FileStore run, boolean finished, boolean checkpoint) {
        try {
            if (finished) {
                return Provenance.specText(Json.mapper().readTree(run.readString(Provenance.FILE)))
                        .map(JobSpecLoader::fromResolved);
            }
            if (checkpoint) {
                return Optional.of(JobSpecLoader.fromResolved(Checkpoint.read(run).specHocon()));
            }
        } catch (IOException | RuntimeException e) {
            // the table comes from metrics.jsonl alone; the spec only adds the epoch count and the name
        }
        return Optional.empty();
    }

    private static String number(JsonNode n, String format) {
        return n.isNumber() ? String.format(Locale.ROOT, format, n.asDouble()) : "-";
    }
}
