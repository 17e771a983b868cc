package org.syncbn.cli;

import org.syncbn.config.SpecException;
import org.syncbn.natives.NativeBuildChoice;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * {@code syncbn <command> [options]}. Exit codes: 0 success, 2 bad input (spec, arguments, data
 * files; one line on stderr naming what was wrong), 1 any other failure; {@code retrain} also
 * exits 3 when CURRENT is kept.
 */
public final class Main {
    static final String USAGE = """
            usage: syncbn <command> [options]        syncbn --version        syncbn <command> --help

            commands (each takes --help, which lists every option, and --version):
              train <job.conf> [--set key=value ...] [--out DIR] [--resume DIR] [--spec-base64 B64]
                                       train a job on Spark (embedded local[W] unless spark-submit gives a master)
              spec <job.conf> [--set key=value ...] [--get key,...] [--base64]
                                       validate a job and print its resolved spec
              report <run dir>         a finished or interrupted run's metrics table; redraws its curves.png
              evaluate <model> [<input>] [--data DIR] [--out FILE|DIR] [--set key=value ...] [table options]
                                       accuracy, loss, per-class precision/recall/F1 and confusion matrix
                                       (text and PNG) of a saved model, on the IDX test files or a labelled table
              predict <model> <input> <output> [--output-format csv|parquet] [--batch N] [table options]
                                       batch scoring of a table: one CSV file, or a Parquet / CSV directory
              precise-bn <model.zip> --examples N [--data DIR] [--out FILE] [--set key=value ...]
                                       PreciseBN statistics for a saved model; accuracy with EMA vs precise
              sweep <sweep.conf> [--out DIR] [--set preset=NAME] [--set key=value ...]
                                       run a grid of jobs one after another (resumable), tabulate results
              retrain <job.conf> [--set key=value ...] [--date YYYY-MM-DD] [--force] [--kept-exit N]
                                       scheduled retrain into the model registry: warm start from CURRENT,
                                       evaluation gate, atomic promotion (exit 0 promoted, 3 kept, 2, 1)
              registry list|show|promote|rollback [<model> [v<N>]] [--registry DIR]
                                       the model registry: versions, decisions, CURRENT

            table options (evaluate, predict): --format F, --features A,B,..., --id-cols A,B,..., --label COL
            Exit codes: 0 done, 2 bad input (one line on stderr), 1 failure; retrain also 3 (CURRENT kept).
            Run 'syncbn <command> --help' for every option of a command.
            """;

    private Main() {
    }

    public static void main(String[] argv) {
        NativeBuildChoice.applyToThisJvm();   // before anything touches ND4J
        int code = run(argv, System.out, System.err);
        // the exit code is the command's (the library itself leaves no non-daemon thread behind)
        System.exit(code);
    }

    /** Runs a command and returns its exit code (never calls System.exit; tests use this). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            (argv.length == 0 ? err : out).print(USAGE);
            return argv.length == 0 ? 2 : 0;
        }
        // no option of any command takes "--version" as its value, so the word alone asks for it
        if (Arrays.asList(argv).contains("--version") || argv[0].equals("-V") || argv[0].equals("version")) {
            out.print(VersionText.text());
            return 0;
        }
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        try {
            return switch (argv[0]) {
                case "train" -> TrainCommand.run(rest, out, err);
                case "evaluate" -> EvaluateCommand.run(rest, out, err);
                case "spec" -> SpecCommand.run(rest, out, err);
                case "report" -> ReportCommand.run(rest, out, err);
                case "predict" -> PredictCommand.run(rest, out, err);
                case "retrain" -> RetrainCommand.run(rest, out, err);
                case "registry" -> RegistryCommand.run(rest, out, err);
                case "sweep" -> SweepCommand.run(rest, out, err);
                case "precise-bn" -> PreciseBnCommand.run(rest, out, err);
                default -> throw new SpecException("unknown command '" + argv[0]
                        + "' (commands: train, spec, report, evaluate, predict, precise-bn, sweep, retrain, registry;"
                        + " see syncbn --help)");
            };
        } catch (Exception e) {   // Spark throws its checked SparkException without declaring it
            org.syncbn.train.ClusterCapacityException capacity = org.syncbn.train.ClusterCapacityException.findIn(e);
            if (capacity != null) {
                err.println("error: " + capacity.getMessage());
                return 1;
            }
            org.syncbn.train.DivergedException diverged = org.syncbn.train.DivergedException.findIn(e);
            if (diverged != null) {
                err.println("error: " + diverged.getMessage());
                return 1;
            }
            SpecException bad = SpecException.findIn(e);
            if (bad != null) {
                err.println("error: " + bad.getMessage());
                return 2;
            }
            err.println("error: " + argv[0] + " failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }
}
