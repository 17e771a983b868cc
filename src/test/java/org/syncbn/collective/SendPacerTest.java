package org.syncbn.collective;

import org.junit.jupiter.api.Test;
import org.syncbn.bench.LoopbackMesh;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The emulated link of the benchmarks: sends queue behind each other at the link's rate, whichever
 * thread sends them, and a paced mesh sums exactly as an unpaced one. (Lower bounds only: a loaded
 * machine can only make the waits longer.)
 */
class SendPacerTest {
    @Test
    void framesTakeTheirBytesOverTheRateOneAfterAnother() throws Exception {
        SendPacer link = new SendPacer(10_000_000);   // 10 MB/s: 100 KB = 10 ms
        long t0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            link.take(100_000);
        }
        assertTrue(System.nanoTime() - t0 >= 39_000_000L, "the 5th 100 KB frame at 10 MB/s starts after 40 ms");
    }

    @Test
    void threadsOfOneMemberShareItsLink() throws Exception {
        SendPacer link = new SendPacer(10_000_000);
        long t0 = System.nanoTime();
        CompletableFuture<?> a = CompletableFuture.runAsync(() -> takeQuietly(link, 4, 100_000));
        CompletableFuture<?> b = CompletableFuture.runAsync(() -> takeQuietly(link, 4, 100_000));
        a.get();
        b.get();
        assertTrue(System.nanoTime() - t0 >= 69_000_000L, "the 8th 100 KB frame of two threads at 10 MB/s starts after 70 ms");
    }

    @Test
    void noRateNeverWaitsAndANegativeOneIsRefused() throws Exception {
        SendPacer none = new SendPacer(0);
        long t0 = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            none.take(1 << 30);
        }
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "1000 GB unpaced: no wait");
        assertThrows(IllegalArgumentException.class, () -> new SendPacer(-1));
    }

    @Test
    void aPacedMeshSumsBitwiseAsTheRankOrderAndNoFasterThanItsLinks() {
        int w = 3;
        int n = 300_001;   // 1.2 MB of floats: each member sends 2(W-1)/W of it, 0.8 MB, at 20 MB/s: ~40 ms
        CollectiveSecurity security = new CollectiveSecurity(JobSecret.random(), true);
        List<TcpCollective> members = LoopbackMesh.connect(LoopbackMesh.bind(w), (rank, addresses, listening) ->
                TcpCollective.connectPaced(rank, addresses, listening, Duration.ofSeconds(60), security, 20_000_000));
        try {
            float[] expected = CollectiveContractTest.rankOrderedFloatSum(0, w, 4, n);
            long t0 = System.nanoTime();
            Members.values(Members.run(members, (r, c) -> {
                Members.assertBitwiseEquals(expected, c.allReduceSum(CollectiveContractTest.floats(r, 4, n)), "float");
                return null;
            }));
            // its last 64 KiB frame starts 3.3 ms before the link would have carried it all
            assertTrue(System.nanoTime() - t0 >= 36_000_000L, "0.8 MB per member at 20 MB/s: at least 36 ms");
        } finally {
            members.forEach(Collective::close);
        }
    }

    private static void takeQuietly(SendPacer link, int frames, long bytes) {
        try {
            for (int i = 0; i < frames; i++) {
                link.take(bytes);
            }
        } catch (java.io.InterruptedIOException e) {
            throw new IllegalStateException(e);
        }
    }
}
