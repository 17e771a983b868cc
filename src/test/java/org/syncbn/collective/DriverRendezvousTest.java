package org.syncbn.collective;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DriverRendezvousTest {
    private static final CollectiveSecurity SECURITY = new CollectiveSecurity(JobSecret.random(), false);

    @Test
    void allRanksReceiveAllMessagesInRankOrder() throws Exception {
        try (DriverRendezvous r = DriverRendezvous.start("127.0.0.1", Duration.ofSeconds(20), SECURITY)) {
            CompletableFuture<String[]> one = CompletableFuture.supplyAsync(
                    () -> DriverRendezvous.exchange(r.address(), "t/r0/a0.0", 1, 2, "b", Duration.ofSeconds(20), SECURITY));
            String[] zero = DriverRendezvous.exchange(r.address(), "t/r0/a0.0", 0, 2, "a", Duration.ofSeconds(20), SECURITY);
            assertArrayEquals(new String[] {"a", "b"}, zero);
            assertArrayEquals(new String[] {"a", "b"}, one.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void anAbortedAttemptReleasesWaitingTasksAtOnceAndTurnsLateOnesAway() throws Exception {
        try (DriverRendezvous r = DriverRendezvous.start("127.0.0.1", Duration.ofSeconds(60), SECURITY)) {
            CompletableFuture<String[]> waiting = CompletableFuture.supplyAsync(
                    () -> DriverRendezvous.exchange(r.address(), "t/r3/a0.0", 0, 2, "a", Duration.ofSeconds(60), SECURITY));
            Thread.sleep(300);   // let it register
            long t0 = System.nanoTime();
            r.abort("t/r3/a0.", "the round failed: executor lost");
            Exception e = assertThrows(Exception.class, () -> waiting.get(20, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("aborted: the round failed: executor lost"), e.getMessage());
            assertTrue((System.nanoTime() - t0) / 1e9 < 10);
            CollectiveException late = assertThrows(CollectiveException.class,
                    () -> DriverRendezvous.exchange(r.address(), "t/r3/a0.1", 1, 2, "b", Duration.ofSeconds(60), SECURITY));
            assertTrue(late.getMessage().contains("aborted"), late.getMessage());
            // the next attempt of the same round meets normally
            CompletableFuture<String[]> next = CompletableFuture.supplyAsync(
                    () -> DriverRendezvous.exchange(r.address(), "t/r3/a1.0", 1, 2, "d", Duration.ofSeconds(20), SECURITY));
            assertArrayEquals(new String[] {"c", "d"},
                    DriverRendezvous.exchange(r.address(), "t/r3/a1.0", 0, 2, "c", Duration.ofSeconds(20), SECURITY));
            next.get(20, TimeUnit.SECONDS);
        }
    }
}
