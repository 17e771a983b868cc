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

    @Test
    void meetingsExpireWithTheirTimeoutAndFinishedTokensAreForgottenAfterTwoTimeouts() throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        try (DriverRendezvous r = DriverRendezvous.start("127.0.0.1", timeout, SECURITY)) {
            CollectiveException alone = assertThrows(CollectiveException.class,
                    () -> DriverRendezvous.exchange(r.address(), "t/r7/a0.0", 0, 2, "a", timeout, SECURITY));
            assertTrue(alone.getMessage().contains("only 1 of 2 tasks arrived within 1 s"), alone.getMessage());
            // the expired meeting holds nothing: the same rank can register again, and it meets its peer
            CompletableFuture<String[]> again = CompletableFuture.supplyAsync(
                    () -> DriverRendezvous.exchange(r.address(), "t/r7/a0.0", 0, 2, "a2", timeout, SECURITY));
            assertArrayEquals(new String[] {"a2", "b"},
                    DriverRendezvous.exchange(r.address(), "t/r7/a0.0", 1, 2, "b", timeout, SECURITY));
            assertArrayEquals(new String[] {"a2", "b"}, again.get(10, TimeUnit.SECONDS));
            // a finished token turns a late task away at once ...
            CollectiveException late = assertThrows(CollectiveException.class,
                    () -> DriverRendezvous.exchange(r.address(), "t/r7/a0.0", 0, 2, "late", timeout, SECURITY));
            assertTrue(late.getMessage().contains("does not fit token t/r7/a0.0"), late.getMessage());
            // ... for two timeouts; then it is forgotten, and a task with that token simply waits
            Thread.sleep(2500);
            CollectiveException later = assertThrows(CollectiveException.class,
                    () -> DriverRendezvous.exchange(r.address(), "t/r7/a0.0", 0, 2, "later", timeout, SECURITY));
            assertTrue(later.getMessage().contains("only 1 of 2 tasks arrived"), later.getMessage());
        }
    }

    @Test
    void requestsOutsideTheLimitsAreRefusedWhereTheCallerSeesThem() {
        assertThrows(IllegalArgumentException.class, () -> DriverRendezvous.exchange("127.0.0.1:1", "t", 0,
                Limits.MAX_WORLD + 1, "x", Duration.ofSeconds(1), SECURITY));
        assertThrows(IllegalArgumentException.class, () -> DriverRendezvous.exchange("127.0.0.1:1", "t".repeat(300), 0,
                2, "x", Duration.ofSeconds(1), SECURITY));
        assertThrows(IllegalArgumentException.class, () -> DriverRendezvous.exchange("127.0.0.1:1", "t", 2, 2, "x",
                Duration.ofSeconds(1), SECURITY));
    }
}
