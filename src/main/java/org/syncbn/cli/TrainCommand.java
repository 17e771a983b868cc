package org.syncbn.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.store.Checkpoint;
import org.syncbn.store.FileStore;
import org.syncbn.train.RunInterrupted;
import org.syncbn.train.StopRequest;
import org.syncbn.train.TrainingRun;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** {@code syncbn train}: validate the spec, then run it on Spark. */
final class TrainCommand {
    static final String HELP = """
            usage: syncbn train <job.conf> [--set key=value ...] [--out DIR] [--resume DIR]

              <job.conf>          job spec (HOCON), layered over conf/defaults.conf
              --spec-base64 B64   the resolved spec itself (what 'syncbn spec' prints), base64-encoded,
                                  instead of a job file: scripts/submit.sh ships specs this way
              --set key=value     override any job key (repeatable), e.g. --set train.workers=4; a value that
                                  is not HOCON on its own is taken as typed: --set bn.mode=group:2
              --out DIR           output directory, a local path or a Hadoop FileSystem URI
                                  (hdfs://..., s3a://...; default runs/<name>-<yyyyMMdd-HHmmss>/)
              --resume DIR        continue the run in DIR from its last checkpoint; the job file and
                                  --set may be left out, and must match the checkpoint's spec if given

              --version           print the versions and exit

            Writes to the output directory: model.zip (DL4J ModelSerializer format), metrics.jsonl
            (one line per evaluation), curves.png (loss and accuracy per epoch), provenance.json,
            checkpoint.zip. Progress goes to stderr; 'syncbn report DIR' shows a run's metrics.
            Exit codes: 0 done, 2 bad input (nothing written), 1 failure, 130 / 143 stopped by SIGINT / SIGTERM
            at a step boundary (the last checkpoint intact: continue with --resume; a second signal ends it at once).
            """;

    private TrainCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args = Args.parse("train", argv, 0, Set.of("--out", "--resume", "--spec-base64"), Set.of("--help", "-h"));
        if (args.flags().contains("--help") || args.flags().contains("-h")) {
            out.print(HELP);
            return 0;
        }
        if (args.positionals().size() > 1) {
            throw new SpecException("train: expected one job file, got " + args.positionals());
        }
        String resume = args.option("--resume");
        if (resume != null && args.option("--out") != null) {
            throw new SpecException("train: --resume DIR continues in DIR; do not give --out as well");
        }
        Path jobFile = args.positionals().isEmpty() ? null : Path.of(args.positionals().get(0));
        String inline = args.option("--spec-base64");
        if (inline != null && (jobFile != null || !args.sets().isEmpty())) {
            throw new SpecException("train: --spec-base64 carries the whole resolved spec; give no job file or --set with it");
        }
        JobSpec spec;
        String outDir;
        if (resume != null) {
            outDir = resume;
            spec = JobSpecLoader.fromResolved(Checkpoint.read(
                    FileStore.at(outDir, org.apache.spark.deploy.SparkHadoopUtil.get()::conf)).specHocon());
            if (inline != null) {
                requireSameSpec(spec, SpecCommand.decode(inline), outDir);
            } else if (jobFile != null || !args.sets().isEmpty()) {
                requireSameSpec(spec, JobSpecLoader.load(jobFile, args.sets()), outDir);
            }
        } else {
            if (inline != null) {
                spec = SpecCommand.decode(inline);
            } else if (jobFile == null) {
                throw new SpecException("train: missing job file (usage: syncbn train <job.conf> [--set key=value ...])");
            } else {
                spec = JobSpecLoader.load(jobFile, args.sets());
            }
            outDir = args.option("--out") != null ? args.option("--out")
                    : Path.of("runs", spec.name() + "-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toString();
        }
        PrintStream progress = HeaderFirst.onto(err, "syncbn train: job '" + spec.name() + "', "
                + spec.train().workers() + " workers x " + spec.train().batchPerWorker() + ", " + spec.train().epochs()
                + " epochs, bn.mode=" + spec.bn().mode() + ", output " + outDir + (resume != null ? " (resuming)" : ""));
        StopRequest stop = new StopRequest();
        try (SparkSessions spark = SparkSessions.open(spec);
             SignalStop signals = SignalStop.install(stop, spark.context()::cancelAllJobs)) {
            TrainingRun run = resume != null ? TrainingRun.resume(spark.context(), outDir)
                    : TrainingRun.of(spark.context(), spec).writingTo(outDir);
            List<String> command = new ArrayList<>(List.of("syncbn", "train"));
            command.addAll(List.of(argv));
            TrainingRun.Result outcome;
            try {
                outcome = run.progress(progress).invokedAs(command).stoppedBy(stop).run();
            } catch (RuntimeException e) {
                RunInterrupted interrupted = RunInterrupted.findIn(e);
                if (interrupted == null) {
                    throw e;
                }
                progress.println(interrupted.getMessage() + (Checkpoint.exists(FileStore.at(outDir, spark.context()::hadoopConfiguration))
                        ? ": resume with --resume " + outDir : ": nothing was checkpointed yet; start the job again"));
                return stop.exitCode();
            }
            out.println("model: " + outcome.model());
            if (outcome.lastEval() != null) {
                out.printf(java.util.Locale.ROOT, "test accuracy %.4f, test loss %.4f%n",
                        outcome.lastEval().accuracy(), outcome.lastEval().meanLoss());
            }
        }
        return 0;
    }

    /** A resumed run must be the same job: the first differing key is named. */
    private static void requireSameSpec(JobSpec stored, JobSpec given, String dir) {
        if (stored.resolvedHocon().equals(given.resolvedHocon())) {
            return;
        }
        Map<String, String> a = flatten(ConfigFactory.parseString(stored.resolvedHocon()));
        Map<String, String> b = flatten(ConfigFactory.parseString(given.resolvedHocon()));
        for (String key : new java.util.TreeSet<>(a.keySet())) {
            if (!a.get(key).equals(b.get(key))) {
                throw new SpecException("--resume " + dir + ": " + key + " = " + b.get(key)
                        + " differs from the checkpoint's " + a.get(key) + " (leave the job file out to resume as stored)");
            }
        }
    }

    private static Map<String, String> flatten(Config c) {
        Map<String, String> m = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            m.put(e.getKey(), e.getValue().render());
        }
        return m;
    }
}
