package org.syncbn.train;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskSlotsTest {

    @Test
    void aLocalMasterWithTooFewSlotsFailsAtOnceSayingWhatItNeedsAndHas() {
        long t0 = System.nanoTime();
        ClusterCapacityException e = assertThrows(ClusterCapacityException.class,
                () -> new TaskSlots(() -> 2, 4, Duration.ofSeconds(30), true, 1).await());
        assertTrue((System.nanoTime() - t0) / 1e9 < 5);
        assertEquals("train.workers = 4 needs 4 task slots at once (one barrier task per worker), the cluster has 2"
                + " (executor cores / spark.task.cpus = 1): add executors or cores, or lower train.workers", e.getMessage());
    }

    @Test
    void aClusterWaitsForSlotsThatComeBack() {
        AtomicInteger calls = new AtomicInteger();
        new TaskSlots(() -> calls.incrementAndGet() < 4 ? 3 : 4, 4, Duration.ofSeconds(30), false, 1).await();
        assertEquals(4, calls.get());
    }

    @Test
    void aClusterThatStaysShortFailsAfterTheBoundedWait() {
        long t0 = System.nanoTime();
        ClusterCapacityException e = assertThrows(ClusterCapacityException.class,
                () -> new TaskSlots(() -> 1, 2, Duration.ofMillis(600), false, 2).await());
        double s = (System.nanoTime() - t0) / 1e9;
        assertTrue(s >= 0.6 && s < 10, "waited " + s + " s");
        assertTrue(e.getMessage().contains("has 1 (executor cores / spark.task.cpus = 2) after waiting 0 s"), e.getMessage());
    }

    @Test
    void aWatchedRoundWhoseSlotsStayShortIsCancelledOnceAfterTheWait() throws Exception {
        AtomicInteger slots = new AtomicInteger(4);
        AtomicInteger fired = new AtomicInteger();
        java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
        TaskSlots s = new TaskSlots(slots::get, 4, Duration.ofMillis(600), false, 1);
        try (TaskSlots.Watch w = s.watch(() -> {
            fired.incrementAndGet();
            cancelled.countDown();
        })) {
            Thread.sleep(400);
            assertEquals(0, fired.get(), "all slots there: nothing to do");
            long t0 = System.nanoTime();
            slots.set(3);   // a node lost while the stage waits to launch
            assertTrue(cancelled.await(10, java.util.concurrent.TimeUnit.SECONDS));
            double waited = (System.nanoTime() - t0) / 1e9;
            assertTrue(waited >= 0.5, "cancelled after " + waited + " s, before the wait");
            Thread.sleep(800);
            assertEquals(1, fired.get());
        }
    }

    @Test
    void aShortageThatEndsWithinTheWaitLeavesTheRoundAlone() throws Exception {
        AtomicInteger slots = new AtomicInteger(3);
        AtomicInteger fired = new AtomicInteger();
        try (TaskSlots.Watch w = new TaskSlots(slots::get, 4, Duration.ofMillis(1500), false, 1).watch(fired::incrementAndGet)) {
            Thread.sleep(500);
            slots.set(4);   // the cluster manager replaced the executor
            Thread.sleep(2000);
        }
        assertEquals(0, fired.get());
        // local masters have fixed slots: no thread, nothing watched
        try (TaskSlots.Watch w = new TaskSlots(() -> 1, 4, Duration.ofMillis(10), true, 1).watch(fired::incrementAndGet)) {
            Thread.sleep(300);
        }
        assertEquals(0, fired.get());
    }
}
