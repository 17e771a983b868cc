package org.syncbn.readme;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.testing.ChildJvm;
import org.syncbn.testing.TinyTables;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user's own program that trains through the Java API, as the README shows it, ends when its
 * {@code main} returns: the library leaves no non-daemon thread behind (Spark's barrier timer was one).
 * Each program runs in a child JVM without System.exit; it must be gone within {@link #EXIT_BOUND_SEC}
 * seconds of printing its last line. The snippets in the programs are the README's, line for line.
 */
class ReadmeProgramsExitTest {
    private static final long EXIT_BOUND_SEC = 20;
    private static final String DONE = "MAIN RETURNS";
    private static final Path PROJECT = Path.of(System.getProperty("syncbn.projectDir", "."));

    @TempDir
    Path tmp;

    @Test
    void theSparkMlSnippetsProgramExitsByItselfAfterSparkStop() throws Exception {
        assertReadmeHoldsTheSnippetOf("SparkMlSnippet.java");
        TinyTables.writeCsv(tmp.resolve("train.csv"), 400, 7);
        TinyTables.writeCsv(tmp.resolve("test.csv"), 100, 8);
        String log = runToExit(SparkMlSnippet.class.getName(), "train.csv", "test.csv");
        assertTrue(log.contains("accuracy "), log);
        assertTrue(Files.isDirectory(tmp.resolve("models/tabular/stages")), "the snippet saves its PipelineModel");
    }

    @Test
    void theTrainingMasterSnippetsProgramExitsByItselfAfterStop() throws Exception {
        assertReadmeHoldsTheSnippetOf("TrainingMasterSnippet.java");
        String log = runToExit(TrainingMasterSnippet.class.getName());
        assertTrue(log.contains("score "), log);
    }

    /** The lines between the program's snippet markers appear in the README in the same order. */
    private static void assertReadmeHoldsTheSnippetOf(String program) throws IOException {
        List<String> source = Files.readAllLines(PROJECT.resolve("src/test/java/org/syncbn/readme").resolve(program));
        int from = source.indexOf("        // --- the README snippet, as written ---");
        int to = source.indexOf("        // --- end of the snippet ---");
        assertTrue(from >= 0 && to > from, program + " lacks its snippet markers");
        List<String> snippet = source.subList(from + 1, to).stream().map(String::strip).toList();
        List<String> readme = Files.readAllLines(PROJECT.resolve("README.md")).stream().map(String::strip).toList();
        int at = -1;
        for (int i = 0; i + snippet.size() <= readme.size() && at < 0; i++) {
            if (readme.subList(i, i + snippet.size()).equals(snippet)) {
                at = i;
            }
        }
        assertTrue(at >= 0, "README.md does not hold the snippet of " + program + " as written:\n"
                + String.join("\n", snippet));
    }

    /** Runs {@code main} in a child JVM in {@link #tmp}; returns its output once it has exited by itself. */
    private String runToExit(String main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ChildJvm.jvmFlags());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main);
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        CompletableFuture<Long> returned = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    synchronized (log) {
                        log.append(line).append('\n');
                    }
                    if (line.equals(DONE)) {
                        returned.complete(System.nanoTime());
                    }
                }
            } catch (IOException e) {
                returned.completeExceptionally(e);
            }
            returned.complete(-1L);
        });
        reader.setDaemon(true);
        reader.start();
        try {
            long at = returned.get(300, TimeUnit.SECONDS);
            assertTrue(at > 0, "the program ended before main returned:\n" + log);
            boolean exited = p.waitFor(EXIT_BOUND_SEC, TimeUnit.SECONDS);
            if (!exited) {
                // the threads that keep it alive, for the failure message
                new ProcessBuilder("jstack", Long.toString(p.pid())).redirectErrorStream(true)
                        .redirectOutput(tmp.resolve("jstack.txt").toFile()).start().waitFor(30, TimeUnit.SECONDS);
                String threads = Files.exists(tmp.resolve("jstack.txt")) ? String.join("\n",
                        Files.readAllLines(tmp.resolve("jstack.txt")).stream()
                                .filter(l -> l.startsWith("\"") && !l.contains(" daemon ")).toList()) : "";
                throw new AssertionError("the JVM was still running " + EXIT_BOUND_SEC
                        + " s after main returned; non-daemon threads:\n" + threads);
            }
            reader.join(5000);
            assertEquals(0, p.exitValue(), log.toString());
            synchronized (log) {
                return log.toString();
            }
        } finally {
            p.destroyForcibly();
        }
    }
}
