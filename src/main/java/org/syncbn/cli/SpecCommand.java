package org.syncbn.cli;

import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Set;

/**
 * {@code syncbn spec}: validates a job and prints its resolved spec (every key, defaults filled
 * in). scripts/submit.sh ships that text to the driver, which may run on a cluster node that
 * cannot see the submitter's job file.
 */
final class SpecCommand {
    static final String HELP = """
            usage: syncbn spec <job.conf> [--set key=value ...] [--get key[,key...]] [--base64]

            Validates the job and prints its resolved spec (HOCON, every key). With --base64, prints it
            base64-encoded on one line, as 'syncbn train --spec-base64' takes it. With --get, prints the
            values of the given keys, one per line (scripts read them this way), before the base64 line
            when both are given.
            Exit codes: 0 valid, 2 bad input.
            """;

    private SpecCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args = Args.parse("spec", argv, 0, Set.of("--get"), Set.of("--help", "-h", "--base64"));
        if (args.flags().contains("--help") || args.flags().contains("-h")) {
            out.print(HELP);
            return 0;
        }
        if (args.positionals().size() != 1) {
            throw new SpecException("spec: expected one job file, got " + args.positionals());
        }
        JobSpec spec = JobSpecLoader.load(Path.of(args.positionals().get(0)), args.sets());
        if (args.option("--get") != null) {
            com.typesafe.config.Config c = com.typesafe.config.ConfigFactory.parseString(spec.resolvedHocon());
            for (String key : args.option("--get").split(",")) {
                if (!c.hasPathOrNull(key.trim())) {
                    throw new SpecException("spec --get: no key '" + key.trim() + "' in the job spec");
                }
                out.println(c.getValue(key.trim()).unwrapped());
            }
        }
        if (args.flags().contains("--base64")) {
            out.println(Base64.getEncoder().encodeToString(spec.resolvedHocon().getBytes(StandardCharsets.UTF_8)));
        } else if (args.option("--get") == null) {
            out.print(spec.resolvedHocon());
        }
        return 0;
    }

    /** The spec of {@code --spec-base64}. */
    static JobSpec decode(String base64) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64.trim());
        } catch (IllegalArgumentException e) {
            throw new SpecException("--spec-base64: not base64 (" + e.getMessage() + "): expected the output of 'syncbn spec --base64'");
        }
        return JobSpecLoader.fromResolved(new String(bytes, StandardCharsets.UTF_8));
    }
}
