package org.syncbn.retrain;

import com.fasterxml.jackson.databind.JsonNode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.model.NetworkFactory;
import org.syncbn.registry.Decision;
import org.syncbn.registry.LockHeldException;
import org.syncbn.registry.ModelLock;
import org.syncbn.registry.ModelRegistry;
import org.syncbn.registry.RegisteredModel;
import org.syncbn.store.LocalFileStore;
import org.syncbn.testing.Snapshots;
import org.syncbn.testing.TestSpark;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scheduled retrains end to end on embedded Spark, on snapshots of a few thousand Fashion-MNIST examples. */
class RetrainTest {
    private static final LocalDate DAY1 = LocalDate.of(2026, 11, 24);
    private static final LocalDate DAY2 = LocalDate.of(2026, 11, 25);
    private static final Set<String> BN_STATS = Set.of("mean", "var", "log10stdev");

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

    private JobSpec spec(String... extra) {
        List<String> sets = new ArrayList<>(List.of(
                "retrain.registry=\"" + tmp.resolve("registry") + "\"",
                "retrain.snapshotRoot=\"" + tmp.resolve("snapshots") + "\"",
                "retrain.model=fmnist",
                "model.hidden=[32]", "train.batchPerWorker=32", "train.epochs=1", "optim.lr=2e-3"));
        sets.addAll(List.of(extra));
        return JobSpecLoader.load(Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/retrain-nightly.conf"),
                sets);
    }

    private Path snapshot(LocalDate day, int from) throws Exception {
        return Snapshots.write(tmp.resolve("snapshots").resolve(day.toString()), from, 2000);
    }

    private RetrainResult retrain(JobSpec spec, LocalDate day, boolean force, RetrainListener listener) {
        PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
        return Retrain.run(TestSpark.context(), new Retrain.Request(spec, day, force, log, listener));
    }

    private RetrainResult retrain(LocalDate day, String... extra) {
        return retrain(spec(extra), day, false, RetrainListener.NONE);
    }

    private RegisteredModel model() {
        return new ModelRegistry(new LocalFileStore(tmp.resolve("registry"))).model("fmnist");
    }

    private String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void firstRetrainTrainsFromScratchStoresTheVersionAndPromotesIt() throws Exception {
        snapshot(DAY1, 0);
        RetrainResult r = retrain(DAY1);
        assertEquals(RetrainResult.Outcome.PROMOTED, r.outcome(), r.message());
        assertEquals(0, r.exitCode());
        RegisteredModel m = model();
        assertEquals(1, m.current().orElseThrow().version());
        Path v1 = tmp.resolve("registry/fmnist/v1");
        for (String f : List.of("model.zip", "metrics.json", "provenance.json", "decision.json")) {
            assertTrue(Files.isRegularFile(v1.resolve(f)), f);
        }
        JsonNode prov = m.provenance(1).orElseThrow();
        assertTrue(prov.get("parent").isNull());
        assertFalse(prov.get("warm_start").asBoolean());
        assertEquals(tmp.resolve("snapshots/2026-11-24").toString(), prov.get("snapshot").get("dir").asText());
        assertEquals(64, prov.get("snapshot").get("fingerprint").asText().length());
        assertTrue(prov.get("spec").asText().contains(tmp.resolve("snapshots/2026-11-24").toString()),
                "the provenance spec names the snapshot as data.dir");
        assertTrue(prov.get("versions").has("git_commit") && prov.has("created"));
        Decision d = m.decision(1).orElseThrow();
        assertEquals(Decision.Outcome.PROMOTED, d.outcome());
        assertNull(d.currentVersion());
        assertTrue(d.candidate().accuracy() > 0.5, "holdout accuracy " + d.candidate().accuracy());
        assertEquals(500, d.candidate().examples());
        assertEquals(d.candidate().accuracy(), m.metrics(1).orElseThrow().get("holdout").get("accuracy").asDouble(), 0.0);
        assertFalse(Files.exists(tmp.resolve("registry/fmnist/LOCK")), "the lock is released");
    }

    @Test
    void warmStartBeginsFromCurrentsParameters() throws Exception {
        snapshot(DAY1, 0);
        snapshot(DAY2, 2000);
        retrain(DAY1);
        MultiLayerNetwork current = (MultiLayerNetwork) model().loadModel(1).dl4j();
        // a learning rate so small that training cannot move the weights measurably: the candidate's
        // weights are where training started
        RetrainResult r = retrain(spec("optim.updater=sgd", "optim.lr=1e-12"), DAY2, false, RetrainListener.NONE);
        assertEquals(2, r.version());
        MultiLayerNetwork candidate = (MultiLayerNetwork) model().loadModel(2).dl4j();
        JobSpec spec = spec();
        MultiLayerNetwork scratch = new MultiLayerNetwork(NetworkFactory.build(spec, 784));
        scratch.init();
        double fromCurrent = 0;
        double scratchFromCurrent = 0;
        for (int i = 0; i < current.getnLayers(); i++) {
            for (Map.Entry<String, INDArray> e : current.getLayer(i).paramTable().entrySet()) {
                if (BN_STATS.contains(e.getKey())) {
                    continue;   // running statistics move with every batch whatever the learning rate
                }
                fromCurrent = Math.max(fromCurrent, maxAbsDiff(e.getValue(), candidate.getLayer(i).getParam(e.getKey())));
                scratchFromCurrent = Math.max(scratchFromCurrent,
                        maxAbsDiff(e.getValue(), scratch.getLayer(i).getParam(e.getKey())));
            }
        }
        assertTrue(fromCurrent < 1e-6, "candidate moved " + fromCurrent + " from CURRENT");
        assertTrue(scratchFromCurrent > 1e-2, "a fresh initialisation is " + scratchFromCurrent + " from CURRENT");
        JsonNode prov = model().provenance(2).orElseThrow();
        assertEquals(1, prov.get("parent").asInt());
        assertTrue(prov.get("warm_start").asBoolean());
        assertTrue(log().contains("warm-started from v1"), log());
    }

    private static double maxAbsDiff(INDArray a, INDArray b) {
        return a.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)
                .sub(b.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    @Test
    void theGateKeepsCurrentWhenTheCandidateIsWorseYetStoresTheCandidateAndItsDecision() throws Exception {
        snapshot(DAY1, 0);
        // well-formed but wrong new data: every training label shifted by one class
        Snapshots.write(tmp.resolve("snapshots").resolve(DAY2.toString()), 2000, 2000, 500, y -> (y + 1) % 10);
        retrain(DAY1);
        byte[] pointer = Files.readAllBytes(tmp.resolve("registry/fmnist/CURRENT"));

        RetrainResult r = retrain(DAY2);
        assertEquals(RetrainResult.Outcome.KEPT, r.outcome(), r.message());
        assertEquals(3, r.exitCode());
        assertArrayEquals(pointer, Files.readAllBytes(tmp.resolve("registry/fmnist/CURRENT")), "CURRENT untouched");
        RegisteredModel m = model();
        assertTrue(m.isComplete(2), "the rejected candidate is stored");
        Decision d = m.decision(2).orElseThrow();
        assertEquals(Decision.Outcome.KEPT, d.outcome());
        assertEquals(1, d.currentVersion());
        assertTrue(d.current().accuracy() - d.candidate().accuracy() > d.maxRegression(),
                d.candidate() + " vs " + d.current());
        assertTrue(d.reason().startsWith("worse than allowed"), d.reason());
    }

    @Test
    void theSameSnapshotIsSkippedOnReRunUnlessForced() throws Exception {
        snapshot(DAY1, 0);
        assertEquals(RetrainResult.Outcome.PROMOTED, retrain(DAY1).outcome());
        RetrainResult again = retrain(DAY1);
        assertEquals(RetrainResult.Outcome.SKIPPED, again.outcome());
        assertEquals(3, again.exitCode());
        assertTrue(again.message().contains("already trained as v1"), again.message());
        assertEquals(List.of(1), model().versions());

        // the same content under another name is the same snapshot
        Snapshots.write(tmp.resolve("snapshots").resolve(DAY2.toString()), 0, 2000);
        assertEquals(RetrainResult.Outcome.SKIPPED, retrain(DAY2).outcome());

        RetrainResult forced = retrain(spec(), DAY1, true, RetrainListener.NONE);
        assertEquals(2, forced.version());
        assertTrue(model().isComplete(2));
    }

    @Test
    void aCrashBetweenStoringTheCandidateAndMovingCurrentLeavesCurrentIntactAndTheNextRunRecovers() throws Exception {
        snapshot(DAY1, 0);
        snapshot(DAY2, 2000);
        retrain(DAY1);
        RuntimeException crash = assertThrows(RuntimeException.class, () -> retrain(spec(), DAY2, false, v -> {
            throw new RuntimeException("injected crash before CURRENT moves to v" + v);
        }));
        assertEquals("injected crash before CURRENT moves to v2", crash.getMessage());
        RegisteredModel m = model();
        assertEquals(1, m.current().orElseThrow().version(), "CURRENT still names the old model");
        assertTrue(m.loadModel(1).params().length > 0, "and that model loads");
        assertTrue(m.isComplete(2));
        assertTrue(m.decision(2).isEmpty(), "the interrupted candidate has no decision");

        RetrainResult next = retrain(DAY2);
        assertEquals(RetrainResult.Outcome.PROMOTED, next.outcome(), next.message());
        assertEquals(2, next.version(), "the stored candidate is judged, not trained again");
        assertEquals(List.of(1, 2), m.versions());
        assertEquals(2, m.current().orElseThrow().version());
        assertEquals(Decision.Outcome.PROMOTED, m.decision(2).orElseThrow().outcome());
        assertTrue(log().contains("never judged: judging it now"), log());
    }

    @Test
    void aCrashAfterCurrentMovedIsRecordedAsPromotedByTheNextRun() throws Exception {
        snapshot(DAY1, 0);
        retrain(DAY1);
        model().version(1).delete(RegisteredModel.DECISION);   // as if the run died right after moving CURRENT
        RetrainResult next = retrain(DAY1);
        assertEquals(RetrainResult.Outcome.SKIPPED, next.outcome(), next.message());
        assertEquals(Decision.Outcome.PROMOTED, model().decision(1).orElseThrow().outcome());
    }

    @Test
    void aRetrainWhileTheModelIsLockedIsRefusedAndChangesNothing() throws Exception {
        snapshot(DAY1, 0);
        try (ModelLock running = ModelLock.acquire(model().dir(), Duration.ofMinutes(10), "retrain")) {
            LockHeldException e = assertThrows(LockHeldException.class, () -> retrain(DAY1));
            assertTrue(e.getMessage().contains("held by pid " + ProcessHandle.current().pid()), e.getMessage());
            assertTrue(e.getMessage().contains("refusing to run a second retrain"), e.getMessage());
            running.checkHeld();
        }
        assertEquals(List.of(), model().versions());
        assertTrue(model().current().isEmpty());
    }

    @Test
    void aSecondRetrainStartedWhileTheFirstRunsIsRefusedAndTheFirstCompletes() throws Exception {
        snapshot(DAY1, 0);
        java.util.concurrent.CountDownLatch stored = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<RetrainResult> first = pool.submit(() -> retrain(spec(), DAY1, false, v -> {
                stored.countDown();
                try {
                    release.await();   // hold the first run between storing its candidate and promoting it
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }));
            assertTrue(stored.await(5, java.util.concurrent.TimeUnit.MINUTES), "the first retrain stored its candidate");
            LockHeldException e = assertThrows(LockHeldException.class, () -> retrain(spec(), DAY1, true,
                    RetrainListener.NONE));
            assertTrue(e.getMessage().contains("refusing to run a second retrain"), e.getMessage());
            release.countDown();
            RetrainResult r = first.get(5, java.util.concurrent.TimeUnit.MINUTES);
            assertEquals(RetrainResult.Outcome.PROMOTED, r.outcome(), r.message());
            assertEquals(List.of(1), model().versions(), "the refused run stored nothing");
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void aLockLeftByAKilledRetrainOnThisHostIsBrokenAndTheRetrainRuns() throws Exception {
        snapshot(DAY1, 0);
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        java.time.Instant now = java.time.Instant.now();
        model().dir().writeString(ModelLock.LOCK, new ModelLock.Holder("killed", java.net.InetAddress.getLocalHost()
                .getHostName(), dead.pid(), "retrain", now, now).toJson());
        RetrainResult r = retrain(DAY1);
        assertEquals(RetrainResult.Outcome.PROMOTED, r.outcome(), r.message());
        assertTrue(log().contains("broke the stale lock of pid " + dead.pid()), log());
        assertFalse(Files.exists(tmp.resolve("registry/fmnist/LOCK")));
    }

    @Test
    void corruptSnapshotIsRejectedNamingTheFileAndCurrentIsUntouched() throws Exception {
        snapshot(DAY1, 0);
        retrain(DAY1);
        byte[] pointer = Files.readAllBytes(tmp.resolve("registry/fmnist/CURRENT"));
        Path day2 = snapshot(DAY2, 2000);
        byte[] images = Files.readAllBytes(day2.resolve(Snapshots.TRAIN_IMAGES));
        Files.write(day2.resolve(Snapshots.TRAIN_IMAGES), Arrays.copyOf(images, images.length / 2));

        SpecException e = assertThrows(SpecException.class, () -> retrain(DAY2));
        assertTrue(e.getMessage().contains(day2.resolve(Snapshots.TRAIN_IMAGES).toString()), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertArrayEquals(pointer, Files.readAllBytes(tmp.resolve("registry/fmnist/CURRENT")));
        assertEquals(List.of(1), model().versions(), "nothing was stored");
        assertFalse(Files.exists(tmp.resolve("registry/fmnist/LOCK")));
    }

    @Test
    void badNewDataOfEveryKindIsRejectedBeforeAnythingIsStored() throws Exception {
        snapshot(DAY1, 0);
        retrain(DAY1);
        Path day2 = snapshot(DAY2, 2000);

        byte[] labels = new byte[2000];
        labels[7] = 12;
        Snapshots.writeIdx(day2.resolve(Snapshots.TRAIN_LABELS), 0x801, new int[] {2000}, labels);
        assertBadInput(DAY2, "label 12", Snapshots.TRAIN_LABELS);

        snapshot(DAY2, 2000);
        Snapshots.writeIdx(day2.resolve(Snapshots.TRAIN_IMAGES), 0x803, new int[] {2000, 14, 14}, new byte[2000 * 196]);
        Snapshots.writeIdx(day2.resolve(Snapshots.TEST_IMAGES), 0x803, new int[] {500, 14, 14}, new byte[500 * 196]);
        assertBadInput(DAY2, "196 features per example, CURRENT v1 was trained on 784", Snapshots.TRAIN_IMAGES);

        snapshot(DAY2, 2000);
        Snapshots.writeIdx(day2.resolve(Snapshots.TRAIN_IMAGES), 0x803, new int[] {0, 28, 28}, new byte[0]);
        Snapshots.writeIdx(day2.resolve(Snapshots.TRAIN_LABELS), 0x801, new int[] {0}, new byte[0]);
        assertBadInput(DAY2, "(count) is 0, expected > 0", Snapshots.TRAIN_IMAGES);

        for (String f : List.of(Snapshots.TRAIN_IMAGES, Snapshots.TRAIN_LABELS, Snapshots.TEST_IMAGES, Snapshots.TEST_LABELS)) {
            Files.delete(day2.resolve(f));
        }
        assertBadInput(DAY2, "is empty", DAY2.toString());
        assertEquals(1, model().current().orElseThrow().version());
    }

    private void assertBadInput(LocalDate day, String... fragments) {
        SpecException e = assertThrows(SpecException.class, () -> retrain(day));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), e.getMessage());
        }
        assertEquals(List.of(1), model().versions(), "nothing was stored");
    }

    @Test
    void withPreciseBnTheCandidateIsStoredAndJudgedWithPreciseStatistics() throws Exception {
        snapshot(DAY1, 0);
        RetrainResult r = retrain(DAY1, "bn.precise.examples=500");
        assertEquals(RetrainResult.Outcome.PROMOTED, r.outcome(), r.message());
        assertTrue(log().contains("PreciseBN over 500 examples: test accuracy"), log());
        JsonNode prov = model().provenance(1).orElseThrow();
        assertEquals(500, prov.get("training").get("precise_bn").get("examples").asLong());
        assertEquals(prov.get("training").get("precise_bn").get("precise_test_accuracy").asDouble(),
                model().decision(1).orElseThrow().candidate().accuracy(), 0.0,
                "the holdout is the snapshot's test set here: the gate saw the precise model's accuracy");
    }
}
