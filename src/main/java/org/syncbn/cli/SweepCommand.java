package org.syncbn.cli;

import org.syncbn.config.SpecException;
import org.syncbn.experiment.CellResult;
import org.syncbn.experiment.SweepRunner;
import org.syncbn.experiment.SweepSpec;
import org.syncbn.experiment.SweepSpecLoader;
import org.syncbn.store.FileStore;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code syncbn sweep}: run a grid of jobs, one cell after another, resumable. */
final class SweepCommand {
    static final String HELP = """
            usage: syncbn sweep <sweep.conf> [--out DIR] [--set preset=NAME] [--set key=value ...]

              <sweep.conf>        a job spec plus a 'sweep { axes = [...], presets { ... } }' section
              --out DIR           sweep directory, local or a Hadoop FileSystem URI (default sweeps/<name>)
              --set preset=NAME   the preset to apply (default: the file's 'default' preset, if any)
              --set key=value     override a job key in every cell

            Runs every cell of the grid (cartesian product of the axes, first axis slowest) in
            DIR/cells/<cell>/ and appends each finished cell to DIR/results.jsonl and DIR/results.csv
            (replaced whole and atomically). Running the same sweep again skips finished cells and
            resumes an interrupted one from its checkpoint. Progress (cell i/N, ETA) goes to stderr.
            Exit codes: 0 done, 2 bad input (nothing run), 1 failure.
            """;

    private SweepCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args = Args.parse("sweep", argv, 0, Set.of("--out"), Set.of("--help", "-h"));
        if (args.flags().contains("--help") || args.flags().contains("-h")) {
            out.print(HELP);
            return 0;
        }
        if (args.positionals().size() != 1) {
            throw new SpecException("sweep: expected one sweep file, got " + args.positionals());
        }
        SweepSpec sweep = SweepSpecLoader.load(Path.of(args.positionals().get(0)), args.sets());
        String dir = args.option("--out") != null ? args.option("--out") : Path.of("sweeps", sweep.name()).toString();
        int maxWorkers = sweep.cells().stream()
                .mapToInt(c -> SweepSpecLoader.cellSpec(sweep, c).train().workers()).max().orElse(1);
        String master = SweepSpecLoader.cellSpec(sweep, sweep.cells().get(0)).spark().master();
        int barrierTimeoutSec = sweep.cells().stream()
                .mapToInt(c -> SparkSessions.barrierTimeoutSec(SweepSpecLoader.cellSpec(sweep, c))).max().orElse(0);
        try (SparkSessions spark = SparkSessions.open("sweep-" + sweep.name(), master, maxWorkers, barrierTimeoutSec)) {
            FileStore store = FileStore.at(dir, spark.context()::hadoopConfiguration);
            List<CellResult> rows = new SweepRunner(spark.context(), err).run(sweep, store);
            out.println("results: " + store.describe("results.csv") + " (" + rows.size() + " cells)");
        }
        return 0;
    }
}
