package org.syncbn.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.store.FileStore;
import org.syncbn.store.LocalFileStore;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelLockTest {
    private static final Duration STALE = Duration.ofMinutes(10);

    @TempDir
    Path tmp;

    private FileStore dir() {
        return new LocalFileStore(tmp.resolve("model"));
    }

    private static String thisHost() throws Exception {
        return InetAddress.getLocalHost().getHostName();
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void aSecondAcquireWhileTheFirstIsHeldIsRefusedNamingTheHolder() {
        try (ModelLock first = ModelLock.acquire(dir(), STALE, "retrain")) {
            LockHeldException e = assertThrows(LockHeldException.class, () -> ModelLock.acquire(dir(), STALE, "retrain"));
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
            assertTrue(e.getMessage().contains("LOCK"), e.getMessage());
            first.checkHeld();
        }
        assertFalse(dir().exists(ModelLock.LOCK), "close releases the lock");
        ModelLock.acquire(dir(), STALE, "retrain").close();
    }

    @Test
    void aLockLeftByADeadProcessOnThisHostIsBroken() throws Exception {
        Instant now = Instant.now();
        ModelLock.Holder dead = new ModelLock.Holder("dead-one", thisHost(), deadPid(), "retrain", now, now);
        dir().writeString(ModelLock.LOCK, dead.toJson());
        try (ModelLock lock = ModelLock.acquire(dir(), STALE, "retrain")) {
            assertNotNull(lock.brokenStale());
            assertEquals("dead-one", lock.brokenStale().id());
            assertTrue(dir().readString(ModelLock.LOCK).contains(lock.holder().id()));
            assertFalse(dir().exists(ModelLock.BREAK));
        }
    }

    @Test
    void aRemoteLockIsBrokenOnlyOnceItsHeartbeatIsOlderThanTheStaleTime() {
        Instant old = Instant.now().minus(Duration.ofHours(1));
        ModelLock.Holder remote = new ModelLock.Holder("remote", "some-other-host", 1, "retrain", old, Instant.now());
        dir().writeString(ModelLock.LOCK, remote.toJson());
        assertThrows(LockHeldException.class, () -> ModelLock.acquire(dir(), STALE, "retrain"),
                "a fresh heartbeat from another host is a live holder");

        ModelLock.Holder silent = new ModelLock.Holder("remote", "some-other-host", 1, "retrain", old, old);
        dir().writeString(ModelLock.LOCK, silent.toJson());
        try (ModelLock lock = ModelLock.acquire(dir(), STALE, "retrain")) {
            assertEquals("remote", lock.brokenStale().id());
        }
    }

    @Test
    void aStaleLockBeingBrokenByAnotherProcessIsNotBrokenTwice() throws Exception {
        Instant now = Instant.now();
        dir().writeString(ModelLock.LOCK,
                new ModelLock.Holder("dead-one", thisHost(), deadPid(), "retrain", now, now).toJson());
        // a live breaker (this process) is in the middle of breaking it
        dir().writeString(ModelLock.BREAK, new ModelLock.Holder("breaker", thisHost(), ProcessHandle.current().pid(),
                "retrain", now, now).toJson());
        LockHeldException e = assertThrows(LockHeldException.class, () -> ModelLock.acquire(dir(), STALE, "retrain"));
        assertTrue(e.getMessage().contains("breaking it now"), e.getMessage());
        assertTrue(dir().readString(ModelLock.LOCK).contains("dead-one"), "the lock was left to the breaker");
    }

    @Test
    void aHolderWhoseLockWasBrokenNoticesBeforeChangingAnything() {
        try (ModelLock lock = ModelLock.acquire(dir(), STALE, "retrain")) {
            Instant now = Instant.now();
            dir().writeString(ModelLock.LOCK,
                    new ModelLock.Holder("usurper", "other-host", 7, "retrain", now, now).toJson());
            LockHeldException e = assertThrows(LockHeldException.class, lock::checkHeld);
            assertTrue(e.getMessage().contains("lost the model lock"), e.getMessage());
        }
        assertTrue(dir().readString(ModelLock.LOCK).contains("usurper"), "close leaves another holder's lock alone");
        assertNull(ModelLock.Holder.parse("not json"));
    }
}
