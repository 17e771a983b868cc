package org.syncbn.cli;

import org.syncbn.testing.Cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.registry.ModelLock;
import org.syncbn.store.LocalFileStore;
import org.syncbn.testing.Snapshots;
import org.syncbn.testing.TestSpark;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** syncbn retrain and syncbn registry as a scheduler and an operator meet them: exit codes and one-line errors. */
class RetrainCommandTest {
    @TempDir
    Path tmp;


    private static Cli.Result run(String... argv) {
        return Cli.run(argv);
    }

    private Cli.Result retrain(String date, String... extra) {
        List<String> argv = new ArrayList<>(List.of("retrain",
                Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/retrain-nightly.conf").toString(),
                "--set", "retrain.registry=\"" + tmp.resolve("registry") + "\"",
                "--set", "retrain.snapshotRoot=\"" + tmp.resolve("snapshots") + "\"",
                "--set", "model.hidden=[32]", "--set", "train.batchPerWorker=32", "--date", date));
        argv.addAll(List.of(extra));
        return run(argv.toArray(String[]::new));
    }

    private Cli.Result registry(String... argv) {
        List<String> all = new ArrayList<>(List.of("registry"));
        all.addAll(List.of(argv));
        all.addAll(List.of("--registry", tmp.resolve("registry").toString()));
        return run(all.toArray(String[]::new));
    }

    @Test
    void helpNamesTheSchedulerExitCodesAndTheRegistrySubcommands() {
        Cli.Result r = run("retrain", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("3  CURRENT kept") && r.out().contains("--force"), r.out());
        Cli.Result g = run("registry", "--help");
        assertEquals(0, g.code());
        assertTrue(g.out().contains("rollback"), g.out());
        assertTrue(run("--help").out().contains("registry list|show|promote|rollback"));
    }

    @Test
    void retrainPromotesSkipsAndIsRefusedWhileLockedAndTheRegistryRollsBackAndPromotes() throws Exception {
        Snapshots.write(tmp.resolve("snapshots/2026-11-24"), 0, 2000);
        Snapshots.write(tmp.resolve("snapshots/2026-11-25"), 2000, 2000);
        TestSpark.context();   // the CLI reuses the running context

        Cli.Result first = retrain("2026-11-24");
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().startsWith("promoted: v1 promoted to CURRENT"), first.out());
        Cli.Result again = retrain("2026-11-24");
        assertEquals(3, again.code(), again.err());
        assertTrue(again.out().startsWith("skipped:"), again.out());
        assertEquals(0, retrain("2026-11-24", "--kept-exit", "0").code(), "for schedulers that fail on non-zero");
        assertEquals(2, retrain("2026-11-24", "--kept-exit", "1").code());
        Cli.Result second = retrain("2026-11-25", "--set", "retrain.maxRegression=1");
        assertEquals(0, second.code(), second.err());

        Cli.Result missing = retrain("2026-11-26");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("2026-11-26") && missing.err().contains("not found"), missing.err());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertEquals(2, retrain("26.11.2026").code());

        try (ModelLock running = ModelLock.acquire(new LocalFileStore(tmp.resolve("registry/fashion-mlp")),
                Duration.ofMinutes(10), "retrain")) {
            Cli.Result locked = retrain("2026-11-25", "--force");
            assertEquals(1, locked.code(), locked.err());
            assertTrue(locked.err().startsWith("error: model lock") && locked.err().contains("held by pid"), locked.err());
            Cli.Result blocked = registry("rollback", "fashion-mlp");
            assertEquals(1, blocked.code(), "an operator's rollback waits for the retrain too");
        }

        Cli.Result list = registry("list", "fashion-mlp");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("* v2") && list.out().contains("  v1") && list.out().contains("promoted"),
                list.out());
        assertTrue(registry("list").out().contains("fashion-mlp  CURRENT v2  versions 2"));

        Cli.Result back = registry("rollback", "fashion-mlp");
        assertEquals(0, back.code(), back.err());
        assertTrue(back.out().contains("CURRENT is v1 again"), back.out());
        Cli.Result nothing = registry("rollback", "fashion-mlp");
        assertEquals(2, nothing.code());
        assertTrue(nothing.err().contains("nothing to roll back to"), nothing.err());

        Cli.Result promote = registry("promote", "fashion-mlp", "v2");
        assertEquals(0, promote.code(), promote.err());
        assertTrue(promote.out().contains("CURRENT is v2 (was v1)"), promote.out());
        Cli.Result show = registry("show", "fashion-mlp");
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("v2 (CURRENT)") && show.out().contains("--- decision.json")
                && show.out().contains("\"outcome\" : \"PROMOTED\""), show.out());

        assertEquals(2, registry("promote", "fashion-mlp", "v9").code());
        assertEquals(2, registry("show", "nosuchmodel").code());
        assertEquals(2, registry("frobnicate").code());
    }
}
