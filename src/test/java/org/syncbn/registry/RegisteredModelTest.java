package org.syncbn.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.SpecException;
import org.syncbn.store.LocalFileStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry layout and the CURRENT pointer, without training (model.zip is opaque here). */
class RegisteredModelTest {
    @TempDir
    Path tmp;

    private RegisteredModel model() {
        return new ModelRegistry(new LocalFileStore(tmp.resolve("registry"))).model("m");
    }

    private void store(RegisteredModel m, int v) throws Exception {
        Path zip = tmp.resolve("model-" + v + ".zip");
        Files.writeString(zip, "zip " + v);
        m.storeVersion(v, zip, Map.of("holdout", Map.of("accuracy", 0.5)), Map.of("version", v));
    }

    @Test
    void versionsAreNumberedUpwardsAndCompleteOnlyWithAllThreeFiles() throws Exception {
        RegisteredModel m = model();
        assertEquals(1, m.nextVersion());
        store(m, 1);
        m.version(2).writeString(RegisteredModel.METRICS, "{}");   // an attempt that died before provenance.json
        assertEquals(List.of(1, 2), m.versions());
        assertTrue(m.isComplete(1));
        assertFalse(m.isComplete(2));
        assertEquals(3, m.nextVersion(), "a number is never reused, not even an incomplete one's");
        assertEquals(List.of("m"), new ModelRegistry(new LocalFileStore(tmp.resolve("registry"))).models());
    }

    @Test
    void anIncompleteVersionCannotBecomeCurrent() throws Exception {
        RegisteredModel m = model();
        store(m, 1);
        m.promote(1, "test");
        m.version(2).writeString(RegisteredModel.MODEL, "half");
        SpecException e = assertThrows(SpecException.class, () -> m.promote(2, "test"));
        assertTrue(e.getMessage().contains("incomplete") && e.getMessage().contains("provenance.json"), e.getMessage());
        assertEquals(1, m.current().orElseThrow().version());
        assertThrows(SpecException.class, () -> m.promote(9, "test"));
    }

    @Test
    void rollbackReturnsToThePreviouslyCurrentVersionsInTurn() throws Exception {
        RegisteredModel m = model();
        for (int v = 1; v <= 3; v++) {
            store(m, v);
            m.promote(v, "test");
        }
        assertEquals(List.of(1, 2), m.current().orElseThrow().history());
        assertEquals(2, m.rollback().version());
        assertEquals(1, m.rollback().version());
        SpecException e = assertThrows(SpecException.class, m::rollback);
        assertTrue(e.getMessage().contains("nothing to roll back to"), e.getMessage());
        assertEquals(1, m.current().orElseThrow().version());
        assertEquals(3, m.promote(3, "test").version());
        assertEquals(List.of(1), m.current().orElseThrow().history());
        assertEquals("zip 3", m.version(m.current().orElseThrow().version()).readString(RegisteredModel.MODEL));
    }

    @Test
    void theRegistryAndItsLockWorkTheSameThroughAHadoopFileSystem() throws Exception {
        org.syncbn.store.FileStore root = new org.syncbn.store.HadoopFileStore(tmp.resolve("hdfs-like").toUri().toString(),
                new org.apache.hadoop.conf.Configuration());
        RegisteredModel m = new ModelRegistry(root).model("m");
        store(m, 1);
        store(m, 2);
        m.promote(1, "test");
        m.promote(2, "test");
        try (ModelLock lock = ModelLock.acquire(m.dir(), java.time.Duration.ofMinutes(10), "test")) {
            assertThrows(LockHeldException.class, () -> ModelLock.acquire(m.dir(), java.time.Duration.ofMinutes(10), "x"));
            assertEquals(1, m.rollback().version());
        }
        assertFalse(m.dir().exists(ModelLock.LOCK));
        assertEquals(List.of(1, 2), m.versions());
        assertEquals(List.of("m"), new ModelRegistry(root).models());
        assertEquals("zip 1", m.version(m.current().orElseThrow().version()).readString(RegisteredModel.MODEL));
    }

    @Test
    void aDecisionRoundTripsThroughDecisionJson() throws Exception {
        RegisteredModel m = model();
        store(m, 1);
        Decision d = new Decision(1, Decision.Outcome.KEPT, "worse", new Decision.Score(500, 0.7, 0.9), 3,
                new Decision.Score(500, 0.8, 0.6), 0.005, "2026-11-25T00:00:00Z");
        m.writeDecision(d);
        assertEquals(d, m.decision(1).orElseThrow());
        assertTrue(m.decision(2).isEmpty());
        // a diverged candidate's NaN loss survives the JSON round trip
        Decision diverged = new Decision(1, Decision.Outcome.KEPT, "worse", new Decision.Score(500, 0.1, Double.NaN),
                null, null, 0.005, "2026-11-25T00:00:00Z");
        m.writeDecision(diverged);
        assertTrue(Double.isNaN(m.decision(1).orElseThrow().candidate().loss()));
    }
}
