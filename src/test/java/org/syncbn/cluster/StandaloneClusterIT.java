package org.syncbn.cluster;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job on a real Spark standalone cluster (scripts/local-cluster.sh: master, 5 workers with
 * one core each, executors and cluster-mode drivers in their own JVMs), submitted with
 * scripts/submit.sh, against the same spec in local[W]. Conditions for bitwise equality: same
 * spec and seed, same native threads per worker (pinned to 1 here), same library versions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {
    private static final Path ROOT = Path.of(System.getProperty("syncbn.projectDir", ".")).toAbsolutePath();
    private static final Path WORK = ROOT.resolve("target/it-cluster");
    private static final Path STATE = WORK.resolve("state");
    /**
     * The default job on a slice (16384 train / 2000 test examples, 2 epochs), one thread per
     * worker, 64 steps per round: W=2 has 4 rounds of 8192 examples (long enough to kill a process
     * in the middle of one), W=4 one round per epoch.
     */
    private static final List<String> SPEC = List.of("jobs/fashion-mlp.conf",
            "--set", "data.maxTrainExamples=16384", "--set", "data.maxTestExamples=2000",
            "--set", "train.epochs=2", "--set", "train.stepsPerRound=64", "--set", "train.threadsPerWorker=1",
            "--set", "checkpoint.everyRounds=1");
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(5);

    @BeforeAll
    void startCluster() throws Exception {
        deleteTree(WORK);
        Files.createDirectories(WORK);
        Run r = run(List.of("scripts/local-cluster.sh", "start", "--workers", "5", "--cores", "1", "--memory", "2g",
                "--port", String.valueOf(freePort()), "--webui-port", String.valueOf(freePort())), Duration.ofMinutes(3));
        assertEquals(0, r.code(), r.tail());
    }

    @AfterAll
    void stopCluster() throws Exception {
        run(List.of("scripts/local-cluster.sh", "stop"), Duration.ofMinutes(1));
        // no process of this cluster survives stop
        assertEquals(List.of(), processesMatching(STATE.toString()));
    }

    @Test
    @Order(1)
    void statusShowsTheMastersViewOfAliveWorkersAndFreeCores() throws Exception {
        Run r = run(List.of("scripts/local-cluster.sh", "status"), Duration.ofMinutes(1));
        assertEquals(0, r.code(), r.tail());
        assertTrue(r.output().contains("workers     5 alive"), r.output());
        assertTrue(r.output().contains("cores       5 total, 0 used, 5 free"), r.output());
    }

    @ParameterizedTest(name = "W={0}, {1} deploy mode")
    @CsvSource({"2, client", "2, cluster", "4, client", "4, cluster"})
    @Order(2)
    void theSyncBnJobOnTheClusterIsBitwiseEqualToLocalW(int workers, String deployMode) throws Exception {
        Path out = WORK.resolve("cluster-w" + workers + "-" + deployMode);
        Run r = submit(out, List.of("--deploy-mode", deployMode, "--set", "train.workers=" + workers));
        assertEquals(0, r.code(), r.tail());
        assertSameParameters(local(workers), out);
    }

    @Test
    @Order(3)
    void anExecutorKilledMidRoundIsReplacedAndTheRoundReRunsToTheSameResult() throws Exception {
        Path out = WORK.resolve("executor-killed");
        Job job = start(submitCommand(out, List.of("--set", "train.workers=2")));
        job.awaitLine("round 1/4", Duration.ofMinutes(3));
        List<Long> executors = processesMatching("CoarseGrainedExecutorBackend");
        assertFalse(executors.isEmpty(), "no executor process found");
        // executors idle between rounds and compute during one: kill once round 2 keeps one busy
        awaitBusy(executors.get(0), Duration.ofMinutes(2));
        kill9(executors.get(0));
        Run r = job.await(JOB_TIMEOUT);
        assertEquals(0, r.code(), r.tail());
        assertTrue(r.output().contains("re-running it from the driver's state"), r.tail());
        assertSameParameters(local(2), out);
    }

    @Test
    @Order(4)
    void aKilledDriverResumesFromItsLastCheckpointToTheSameResult() throws Exception {
        Path out = WORK.resolve("driver-killed");
        Job job = start(submitCommand(out, List.of("--set", "train.workers=2")));
        job.awaitLine("round 3/4", Duration.ofMinutes(3));
        job.process().destroyForcibly();   // SIGKILL to the client-mode driver JVM (submit.sh execs it)
        job.process().waitFor(30, TimeUnit.SECONDS);
        assertFalse(Files.exists(out.resolve("model.zip")));
        assertTrue(Files.exists(out.resolve("checkpoint.zip")));
        Run r = run(List.of("scripts/submit.sh", "--resume", out.toString()), JOB_TIMEOUT);
        assertEquals(0, r.code(), r.tail());
        assertTrue(r.output().contains("(resuming)"), r.tail());
        assertSameParameters(local(2), out);
    }

    @Test
    @Order(5)
    void tooFewSlotsAfterWorkersAreGoneFailsFastWithAClearMessageAndTheCheckpointResumes() throws Exception {
        Path out = WORK.resolve("workers-gone");
        Job job = start(submitCommand(out, List.of("--set", "train.workers=4", "--set", "spark.slotWaitSec=10")));
        job.awaitLine("round 1/2", Duration.ofMinutes(3));
        long t0 = System.nanoTime();
        for (String worker : List.of("1", "2")) {
            assertEquals(0, run(List.of("scripts/local-cluster.sh", "stop-worker", worker), Duration.ofMinutes(1)).code());
        }
        Run failed = job.await(JOB_TIMEOUT);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(1, failed.code(), failed.tail());
        // 3 once the master has replaced the lost executors on the remaining workers, fewer before
        assertTrue(failed.output().matches("(?s).*error: train\\.workers = 4 needs 4 task slots at once \\(one barrier"
                + " task per worker\\), the cluster has [0-3] .*"), failed.tail());
        assertTrue(seconds < 90, "failed after " + seconds + " s");
        assertTrue(Files.exists(out.resolve("checkpoint.zip")));
        assertFalse(Files.exists(out.resolve("model.zip")));

        for (String worker : List.of("1", "2")) {
            assertEquals(0, run(List.of("scripts/local-cluster.sh", "start-worker", worker), Duration.ofMinutes(1)).code());
        }
        awaitAliveWorkers(5);
        Run resumed = run(List.of("scripts/submit.sh", "--resume", out.toString()), JOB_TIMEOUT);
        assertEquals(0, resumed.code(), resumed.tail());
        assertSameParameters(local(4), out);
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** The reference: the same spec with the embedded local[W] master (computed once per W). */
    private Path local(int workers) throws Exception {
        Path out = WORK.resolve("local-w" + workers);
        if (!Files.exists(out.resolve("model.zip"))) {
            List<String> cmd = new ArrayList<>(List.of("scripts/syncbn", "train"));
            cmd.addAll(SPEC);
            cmd.addAll(List.of("--set", "train.workers=" + workers, "--out", out.toString()));
            Run r = run(cmd, JOB_TIMEOUT);
            assertEquals(0, r.code(), r.tail());
        }
        return out;
    }

    private List<String> submitCommand(Path out, List<String> extra) {
        List<String> cmd = new ArrayList<>(List.of("scripts/submit.sh"));
        cmd.addAll(SPEC);
        cmd.addAll(extra);
        cmd.addAll(List.of("--out", out.toString()));
        return cmd;
    }

    private Run submit(Path out, List<String> extra) throws Exception {
        return run(submitCommand(out, extra), JOB_TIMEOUT);
    }

    /** Parameters and updater state of two model.zip files, byte for byte. */
    private static void assertSameParameters(Path expectedDir, Path actualDir) throws IOException {
        for (String entry : List.of("coefficients.bin", "updaterState.bin")) {
            byte[] a = zipEntry(expectedDir.resolve("model.zip"), entry);
            byte[] b = zipEntry(actualDir.resolve("model.zip"), entry);
            assertTrue(a.length > 1000, entry + " is " + a.length + " bytes");
            assertArrayEquals(a, b, entry + " of " + actualDir + " differs from " + expectedDir);
        }
    }

    private static byte[] zipEntry(Path zip, String name) throws IOException {
        try (ZipFile z = new ZipFile(zip.toFile())) {
            return z.getInputStream(z.getEntry(name)).readAllBytes();
        }
    }

    private void awaitAliveWorkers(int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (System.nanoTime() < deadline) {
            Run r = run(List.of("scripts/local-cluster.sh", "status"), Duration.ofMinutes(1));
            if (r.output().contains("workers     " + n + " alive")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("workers did not come back");
    }

    /** PIDs of live processes whose command line contains {@code text} and this cluster's state dir. */
    private static List<Long> processesMatching(String text) throws IOException {
        List<Long> pids = new ArrayList<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path p : dirs.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                    if (cmd.contains(text) && cmd.contains(STATE.toString())) {
                        pids.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException ignored) {
                    // the process ended while we looked
                }
            }
        }
        return pids;
    }

    /** Returns once {@code pid} used at least 20% of a core in three consecutive 250 ms windows. */
    private static void awaitBusy(long pid, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int busyWindows = 0;
        long before = cpuTicks(pid);
        while (busyWindows < 3) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("executor " + pid + " never got busy");
            }
            Thread.sleep(250);
            long now = cpuTicks(pid);
            busyWindows = now - before >= 5 ? busyWindows + 1 : 0;   // 5 ticks of 10 ms = 50 ms per 250 ms
            before = now;
        }
    }

    /** User + system CPU time of a process, in clock ticks (/proc/PID/stat fields 14 and 15). */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** SIGKILL (ProcessHandle.destroyForcibly), without needing a kill binary on the machine. */
    private static void kill9(long pid) {
        ProcessHandle p = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid));
        assertTrue(p.destroyForcibly(), "could not kill " + pid);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.exists(p)) {
            try (var s = Files.walk(p)) {
                for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }

    record Run(int code, String output) {
        String tail() {
            List<String> lines = Arrays.asList(output.split("\n"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        }
    }

    /** A running command whose merged output is collected line by line. */
    record Job(Process process, List<String> lines, Thread reader) {
        void awaitLine(String prefix, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (lines.stream().anyMatch(l -> l.startsWith(prefix))) {
                    return;
                }
                if (!process.isAlive() && !reader.isAlive()) {
                    throw new AssertionError("ended before '" + prefix + "':\n" + String.join("\n", lines));
                }
                Thread.sleep(50);
            }
            throw new AssertionError("no line '" + prefix + "' within " + timeout + ":\n" + String.join("\n", lines));
        }

        Run await(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("did not finish within " + timeout + ":\n" + String.join("\n", lines));
            }
            reader.join(10_000);
            return new Run(process.exitValue(), String.join("\n", lines));
        }
    }

    private static Job start(List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("SYNCBN_CLUSTER_STATE", STATE.toString());
        // the cluster's workers carry the dependency jars: the thin application jar is enough
        pb.environment().put("SYNCBN_JOB_JAR", System.getProperty("syncbn.appJar"));
        pb.environment().put("SYNCBN_HEAP", "2g");
        Process p = pb.start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "it-output");
        reader.setDaemon(true);
        reader.start();
        return new Job(p, lines, reader);
    }

    private static Run run(List<String> command, Duration timeout) throws Exception {
        return start(command).await(timeout);
    }
}
