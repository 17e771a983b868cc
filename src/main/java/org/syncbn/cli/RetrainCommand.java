package org.syncbn.cli;

import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.registry.LockHeldException;
import org.syncbn.retrain.Retrain;
import org.syncbn.retrain.RetrainListener;
import org.syncbn.retrain.RetrainResult;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Set;

/** {@code syncbn retrain}: one scheduled retrain of a registry model (see {@link Retrain}). */
final class RetrainCommand {
    static final String HELP = """
            usage: syncbn retrain <job.conf> [--set key=value ...] [--date YYYY-MM-DD] [--force] [--kept-exit N]

              <job.conf>          job spec with a retrain { ... } section (see conf/defaults.conf)
              --set key=value     override any job key (repeatable)
              --date YYYY-MM-DD   the run date a dated retrain.snapshotPattern is resolved for (default: today, UTC)
              --force             train even if this snapshot (same content) was trained before
              --kept-exit N       exit code when CURRENT is kept (default 3); 0 for schedulers that fail
                                  a task on any non-zero code (Airflow's SparkSubmitOperator)

            Finds the snapshot, warm-starts from the model's CURRENT version (from scratch when there is
            none), trains, stores the candidate as <registry>/<model>/v<N>/ (model.zip, metrics.json,
            provenance.json, decision.json), evaluates candidate and CURRENT on the same holdout in
            inference mode, and moves CURRENT to the candidate unless its accuracy is worse than CURRENT's
            by more than retrain.maxRegression.

            Exit codes (for schedulers):
              0  candidate promoted to CURRENT
              3  CURRENT kept: the gate rejected the candidate, or the snapshot was already trained (skipped)
              2  bad input: spec, arguments or data (missing/corrupt/empty snapshot, wrong shape, label out
                 of range); nothing was stored and CURRENT is untouched
              1  failure, including another retrain of the same model holding its lock; CURRENT still
                 names a complete model
            """;

    private RetrainCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args = Args.parse("retrain", argv, 0, Set.of("--date", "--kept-exit"), Set.of("--force", "--help", "-h"));
        if (args.flags().contains("--help") || args.flags().contains("-h")) {
            out.print(HELP);
            return 0;
        }
        if (args.positionals().size() != 1) {
            throw new SpecException("retrain: expected one job file, got " + args.positionals()
                    + " (usage: syncbn retrain <job.conf> [--set key=value ...])");
        }
        JobSpec spec = JobSpecLoader.load(Path.of(args.positionals().get(0)), args.sets());
        if (spec.data().format() != JobSpec.DataFormat.IDX) {
            throw new SpecException("retrain: data.format = " + spec.data().format().key()
                    + ": retraining reads IDX snapshots (expected data.format = idx)");
        }
        LocalDate date = date(args.option("--date"));
        int keptExit = keptExit(args.option("--kept-exit"));
        try (SparkSessions spark = SparkSessions.open(spec)) {
            RetrainResult result = Retrain.run(spark.context(),
                    new Retrain.Request(spec, date, args.flags().contains("--force"), err, RetrainListener.NONE));
            out.println(result.outcome().name().toLowerCase(java.util.Locale.ROOT) + ": " + result.message());
            return result.outcome() == RetrainResult.Outcome.PROMOTED ? result.exitCode() : keptExit;
        } catch (LockHeldException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private static int keptExit(String text) {
        if (text == null) {
            return 3;
        }
        if (!text.matches("0|3|[4-9]|[1-9][0-9]{1,2}") || Integer.parseInt(text) > 125) {
            throw new SpecException("retrain: --kept-exit " + text + ": expected 0, 3 or an unused code in [4, 125]"
                    + " (1 and 2 mean failure and bad input)");
        }
        return Integer.parseInt(text);
    }

    private static LocalDate date(String text) {
        if (text == null) {
            return LocalDate.now(ZoneOffset.UTC);
        }
        try {
            return LocalDate.parse(text);
        } catch (DateTimeParseException e) {
            throw new SpecException("retrain: --date " + text + ": expected a date as YYYY-MM-DD");
        }
    }
}
