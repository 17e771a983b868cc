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
}
