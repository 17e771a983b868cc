package org.syncbn.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The command line in a JVM of its own, started as scripts/syncbn starts it: the test JVM's Java 17
 * flags and native build, the project's conf/log4j2.properties, {@code System.exit} at the end. What a
 * user sees on stderr, log lines included, and what a SIGKILL leaves behind, can only be seen there.
 */
public final class ChildJvm {
    public static final Path PROJECT = Path.of(System.getProperty("syncbn.projectDir", "."));

    private ChildJvm() {
    }

    /** An exit code and the two streams of one command. */
    public record Result(int code, String out, String err) {}

    /** Starts {@code main} with {@code args} in {@code workDir}; stdout and stderr go to files there. */
    public static Process start(Path workDir, String main, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags());
        cmd.add("-Dlog4j2.configurationFile=" + PROJECT.resolve("conf/log4j2.properties"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main);
        cmd.addAll(args);
        Files.createDirectories(workDir);
        return new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectOutput(workDir.resolve("child.out").toFile())
                .redirectError(workDir.resolve("child.err").toFile()).start();
    }

    /** Starts {@code syncbn <args>} (org.syncbn.cli.Main). */
    public static Process cli(Path workDir, String... args) throws IOException {
        return start(workDir, "org.syncbn.cli.Main", List.of(args));
    }

    /** Runs {@code syncbn <args>} to its end (at most {@code timeoutSec}). */
    public static Result run(Path workDir, long timeoutSec, String... args) throws Exception {
        Process p = cli(workDir, args);
        try {
            if (!p.waitFor(timeoutSec, TimeUnit.SECONDS)) {
                throw new AssertionError("syncbn " + String.join(" ", args) + " still running after " + timeoutSec
                        + " s; stderr so far:\n" + Files.readString(workDir.resolve("child.err")));
            }
            return new Result(p.exitValue(), Files.readString(workDir.resolve("child.out"), StandardCharsets.UTF_8),
                    Files.readString(workDir.resolve("child.err"), StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }

    /** The test JVM's --add-opens flags (pom.xml java17.opens) and native-build settings, and a heap. */
    public static List<String> jvmFlags() {
        List<String> flags = new ArrayList<>();
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("-Dorg.bytedeco.javacpp")
                    || arg.equals("-XX:+IgnoreUnrecognizedVMOptions") || arg.startsWith("-Djdk.reflect")
                    || arg.startsWith("-Djava.io.tmpdir") || arg.startsWith("-Dhadoop.tmp.dir")) {
                flags.add(arg);
            }
        }
        flags.add("-Xmx2g");
        return flags;
    }
}
