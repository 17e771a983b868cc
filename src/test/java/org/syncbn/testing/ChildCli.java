package org.syncbn.testing;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code syncbn} in a JVM of its own (org.syncbn.cli.Main with this JVM's module flags, native build
 * and classpath), for what only a whole process shows: signals, exit codes, every port it listens on.
 * It embeds its own local Spark, as the command line does.
 */
public final class ChildCli implements AutoCloseable {
    private final Process process;
    private final Path out;
    private final Path err;

    private ChildCli(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** Starts {@code syncbn <args>}; its stdout and stderr go to files in {@code logs}. */
    public static ChildCli start(Path logs, String name, String... args) throws IOException {
        return start(logs, name, List.of(), args);
    }

    /** {@link #start(Path, String, String...)} with extra JVM options ({@code -Dspark.x=y}). */
    public static ChildCli start(Path logs, String name, List<String> jvmOptions, String... args) throws IOException {
        return startMain(logs, name, jvmOptions, "org.syncbn.cli.Main", args);
    }

    /** Any main class of the test classpath in a child JVM set up as {@link #start} does it. */
    public static ChildCli startMain(Path logs, String name, List<String> jvmOptions, String main, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx2g");
        // the command line's own logging, not the tests': the child shows what a user sees
        cmd.add("-Dlog4j2.configurationFile=" + Path.of(System.getProperty("syncbn.projectDir", "."),
                "conf", "log4j2.properties").toAbsolutePath());
        cmd.addAll(jvmOptions);
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("-Dorg.bytedeco.javacpp") || arg.startsWith("-Djdk.reflect")
                    || arg.equals("-XX:+IgnoreUnrecognizedVMOptions") || arg.startsWith("-Djava.io.tmpdir")) {
                cmd.add(arg);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main);
        cmd.addAll(List.of(args));
        Files.createDirectories(logs);
        Path out = logs.resolve(name + ".out");
        Path err = logs.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        return new ChildCli(pb.start(), out, err);
    }

    public long pid() {
        return process.pid();
    }

    /** Waits until a line of stderr matches; false if the process ended or {@code seconds} passed first. */
    public boolean awaitErrLine(Predicate<String> line, double seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < deadline) {
            if (err().lines().anyMatch(line)) {
                return true;
            }
            if (!process.isAlive()) {
                return err().lines().anyMatch(line);
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Sends signal {@code name} (INT, TERM, ...) to the process. */
    public void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " " + pid() + " failed");
        }
    }

    /** The exit code, waiting at most {@code seconds}; -1 (and the process killed) when it had not ended. */
    public int waitFor(double seconds) throws InterruptedException {
        if (!process.waitFor((long) (seconds * 1000), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            return -1;
        }
        return process.exitValue();
    }

    public String err() throws IOException {
        return Files.readString(err, StandardCharsets.UTF_8);
    }

    public String out() throws IOException {
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    public File errFile() {
        return err.toFile();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
