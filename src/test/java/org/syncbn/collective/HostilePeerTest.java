package org.syncbn.collective;

import org.junit.jupiter.api.Test;
import org.syncbn.bench.LoopbackMesh;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attacks on real sockets against a running driver rendezvous and worker mesh, while a job's
 * members meet, connect and sum through them. Each attack is refused; the members finish in normal
 * time (well under one handshake deadline, so nobody waited for an attacker) with the right bits;
 * where the attacker holds the secret or sits in the middle of a member's connection, the
 * operation fails at once or within its timeout instead of hanging or returning wrong data.
 */
class HostilePeerTest {
    /** A round that waited for any attacker's handshake deadline (3 s) would take longer than this. */
    private static final long NORMAL_ROUND_MS = 2500;

    /** A driver rendezvous, the listeners of the next round's members, and logs that count their lines. */
    static final class Job implements AutoCloseable {
        final int w;
        final Duration timeout;
        final CollectiveSecurity security = new CollectiveSecurity(JobSecret.random(), false);
        final List<String> logLines = Collections.synchronizedList(new ArrayList<>());
        final RefusalLog rendezvousLog = new RefusalLog("rendezvous", logLines::add, RefusalLog.DEFAULT_INTERVAL_NANOS,
                System::nanoTime);
        final RefusalLog[] meshLogs;
        final DriverRendezvous rendezvous;
        LoopbackMesh.Listeners listeners;

        Job(int w, Duration timeout) {
            this.w = w;
            this.timeout = timeout;
            this.meshLogs = new RefusalLog[w];
            for (int r = 0; r < w; r++) {
                meshLogs[r] = new RefusalLog("rank " + r, logLines::add, RefusalLog.DEFAULT_INTERVAL_NANOS, System::nanoTime);
            }
            this.rendezvous = DriverRendezvous.start("127.0.0.1", timeout, security, rendezvousLog);
            this.listeners = LoopbackMesh.bind(w);
        }

        InetSocketAddress rendezvousAddress() {
            String a = rendezvous.address();
            return new InetSocketAddress(a.substring(0, a.lastIndexOf(':')), Integer.parseInt(a.substring(a.lastIndexOf(':') + 1)));
        }

        /** What an attacker does while the round's members sit in their connect (gates open). */
        @FunctionalInterface
        interface Attack {
            void run() throws Exception;
        }

        long round(String token) throws Exception {
            return round(token, () -> {
            });
        }

        /**
         * One round as the tasks run it: rendezvous, mesh, a BN-sized and a large sum checked
         * bitwise. The last rank holds back its connect until {@code during} is done, so the other
         * members' listeners are open to the attack. The next round gets fresh listeners. Returns
         * the round's ms without the attack window: the rendezvous, then from the release to the
         * end of the sums.
         */
        long round(String token, Attack during) throws Exception {
            java.util.concurrent.CountDownLatch exchanged = new java.util.concurrent.CountDownLatch(w);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            LoopbackMesh.Listeners l = listeners;
            listeners = LoopbackMesh.bind(w);
            CompletableFuture<List<TcpCollective>> joining = CompletableFuture.supplyAsync(() ->
                    LoopbackMesh.connect(l, (rank, addresses, listening) -> {
                        String[] published = DriverRendezvous.exchange(rendezvous.address(), token, rank, w,
                                rank + "@127.0.0.1:" + addresses.get(rank).getPort(), timeout, security);
                        exchanged.countDown();
                        if (rank == w - 1) {
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                        return TcpCollective.connect(rank, BarrierRendezvous.parse(published), listening, timeout, security,
                                TcpMesh.Tuning.DEFAULT, meshLogs[rank]);
                    }));
            attacked = l;
            long start = System.nanoTime();
            long meetMs;
            try {
                assertTrue(exchanged.await(30, TimeUnit.SECONDS), "the rendezvous did not complete");
                meetMs = (System.nanoTime() - start) / 1_000_000;
                Thread.sleep(100);   // ranks 0 .. w-2 are in their connect now, their gates open
                during.run();
            } finally {
                release.countDown();
            }
            long t0 = System.nanoTime();
            List<TcpCollective> members = joining.get(60, TimeUnit.SECONDS);
            try {
                Members.values(Members.run(members, (r, c) -> {
                    Members.assertBitwiseEquals(CollectiveContractTest.rankOrderedSum(
                            CollectiveContractTest.dataOfRanks(0, w, 1, 1025)), c.allReduceSum(CollectiveContractTest.data(r, 1, 1025)), "BN sum");
                    Members.assertBitwiseEquals(CollectiveContractTest.rankOrderedFloatSum(0, w, 2, 200_000),
                            c.allReduceSum(CollectiveContractTest.floats(r, 2, 200_000)), "large sum");
                    return null;
                }));
            } finally {
                members.forEach(TcpCollective::close);
            }
            return meetMs + (System.nanoTime() - t0) / 1_000_000;
        }

        /** The listeners of the round in progress (for attacks in its window). */
        LoopbackMesh.Listeners attacked;

        InetSocketAddress meshAddressUnderAttack(int rank) {
            return attacked.addresses().get(rank);
        }

        /** The context the members compute: from the addresses as the rendezvous published them. */
        byte[] meshContextUnderAttack() {
            String[] published = new String[w];
            for (int r = 0; r < w; r++) {
                published[r] = r + "@127.0.0.1:" + attacked.addresses().get(r).getPort();
            }
            return Handshake.meshContext(BarrierRendezvous.parse(published));
        }

        long refusals(String kind) {
            long n = rendezvousLog.count(kind);
            for (RefusalLog l : meshLogs) {
                n += l.count(kind);
            }
            return n;
        }

        @Override
        public void close() {
            rendezvous.close();
            listeners.channels().forEach(c -> {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // test cleanup
                }
            });
        }
    }

    private static byte[] request(String token, int rank, int size, String message) {
        return new DriverRendezvous.Request(token, rank, size, message).encode();
    }

    private static CompletableFuture<String[]> exchangeLater(Job job, String token, int rank, int size, String message) {
        return CompletableFuture.supplyAsync(() -> DriverRendezvous.exchange(job.rendezvous.address(), token, rank, size,
                message, job.timeout, job.security));
    }

    private static void closeAll(List<RawPeer> peers) {
        peers.forEach(RawPeer::close);
    }

    @Test
    void manyIdleConnectionsHeldPastTheDeadlineDelayNobodyAndAreDroppedByIt() throws Exception {
        try (Job job = new Job(3, Duration.ofSeconds(30))) {
            List<RawPeer> idleAtRendezvous = new ArrayList<>();
            List<RawPeer> idleAtMesh = new ArrayList<>();
            try {
                long opened = System.nanoTime();
                for (int i = 0; i < 300; i++) {
                    idleAtRendezvous.add(new RawPeer(job.rendezvousAddress()));
                }
                long ms = job.round("t/r0/a0.0", () -> {
                    for (int r = 0; r < 2; r++) {
                        for (int i = 0; i < 100; i++) {
                            idleAtMesh.add(new RawPeer(job.meshAddressUnderAttack(r)));
                        }
                    }
                });
                assertTrue(ms < NORMAL_ROUND_MS, "the round took " + ms + " ms beside 500 idle connections");
                long heldMs = (System.nanoTime() - opened) / 1_000_000;
                assertEquals(0, job.rendezvousLog.count("handshake timeout") + job.meshLogs[0].count("handshake timeout")
                        + job.meshLogs[1].count("handshake timeout"), "the round ended after " + heldMs + " ms only because"
                        + " idle connections were dropped at their deadline");
                Thread.sleep(Math.max(0, 3500 - heldMs));   // held past the 3 s handshake deadline
                int open = 0;
                for (RawPeer p : idleAtRendezvous) {
                    long got = p.bytesUntilClosed(1000);
                    open += got < 0 ? 1 : 0;
                    assertTrue(got <= 0, "an idle stranger got " + got + " bytes");
                }
                assertEquals(0, open, "idle connections the rendezvous still holds after the deadline");
                for (RawPeer p : idleAtMesh) {
                    assertEquals(0, p.bytesUntilClosed(1000), "the mesh listeners let go of them");
                }
                assertEquals(300, job.rendezvousLog.count("handshake timeout")
                        + job.rendezvousLog.count("too many pending handshakes"));
            } finally {
                closeAll(idleAtRendezvous);
                closeAll(idleAtMesh);
            }
        }
    }

    @Test
    void garbageGetsNoAnswerAndChangesNothing() throws Exception {
        try (Job job = new Job(3, Duration.ofSeconds(30))) {
            Random rnd = new Random(5);
            List<byte[]> payloads = new ArrayList<>();
            for (int len : new int[] {1, 75, 76, 77, 10_000}) {
                byte[] b = new byte[len];
                rnd.nextBytes(b);
                payloads.add(b);
            }
            payloads.add("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            List<RawPeer> peers = new ArrayList<>();
            try {
                for (byte[] p : payloads) {
                    RawPeer peer = new RawPeer(job.rendezvousAddress());
                    peer.write(p);
                    peers.add(peer);
                }
                long ms = job.round("t/r0/a0.0", () -> {
                    for (int r = 0; r < 2; r++) {
                        for (byte[] p : payloads) {
                            RawPeer peer = new RawPeer(job.meshAddressUnderAttack(r));
                            peer.write(p);
                            peers.add(peer);
                        }
                    }
                });
                assertTrue(ms < NORMAL_ROUND_MS, "the round took " + ms + " ms");
                for (RawPeer p : peers) {
                    assertEquals(0, p.bytesUntilClosed(4000), "garbage is dropped without an answer");
                }
                // refused on its first 8 bytes; only the 1-byte one waits for the deadline
                assertEquals(payloads.size() - 1, job.rendezvousLog.count("not a collective member"), job.rendezvousLog.summary());
                assertEquals(1, job.rendezvousLog.count("handshake timeout"), job.rendezvousLog.summary());
            } finally {
                closeAll(peers);
            }
        }
    }

    @Test
    void aWrongSecretIsRefusedAtTheRendezvousAndTheMeshAndNoRegistrationHappens() throws Exception {
        try (Job job = new Job(3, Duration.ofSeconds(30))) {
            CollectiveSecurity stranger = new CollectiveSecurity(JobSecret.random(), false);
            // a task of another job: it notices the driver does not know its secret, and gives up
            CollectiveException e = assertThrows(CollectiveException.class, () -> DriverRendezvous.exchange(
                    job.rendezvous.address(), "t/r0/a0.0", 0, 3, "0@127.0.0.1:1", Duration.ofSeconds(1), stranger));
            assertTrue(e.getMessage().contains("failed to prove the job secret"), e.getMessage());
            // an attacker that sends a proof anyway
            List<RawPeer> peers = new ArrayList<>();
            try {
                RawPeer atDriver = new RawPeer(job.rendezvousAddress());
                peers.add(atDriver);
                assertEquals("authentication", atDriver.authenticate(stranger, Handshake.Purpose.RENDEZVOUS, Handshake.noContext()));
                // rank 0 of t/r0/a0.0 was never registered by the stranger: the real one meets as usual
                long ms = job.round("t/r0/a0.0", () -> {
                    RawPeer atMesh = new RawPeer(job.meshAddressUnderAttack(0));
                    peers.add(atMesh);
                    assertEquals("authentication", atMesh.authenticate(stranger, Handshake.Purpose.MESH,
                            job.meshContextUnderAttack()));
                    assertEquals(0, atMesh.bytesUntilClosed(4000), "after the server hello, the stranger gets nothing");
                });
                assertTrue(ms < NORMAL_ROUND_MS, "the round took " + ms + " ms");
                assertEquals(0, atDriver.bytesUntilClosed(4000), "after the server hello, the stranger gets nothing");
                assertEquals(2, job.refusals("authentication"));
            } finally {
                closeAll(peers);
            }
        }
    }

    @Test
    void aReplayedHandshakeIsRefusedAndRegistersNothing() throws Exception {
        try (Job job = new Job(2, Duration.ofSeconds(30));
             Relay recorder = new Relay(job.rendezvousAddress(), Relay.Plan.passThrough())) {
            String token = "t/r5/a0.0";
            CompletableFuture<String[]> rank0 = CompletableFuture.supplyAsync(() -> DriverRendezvous.exchange(
                    recorder.address().getHostString() + ":" + recorder.address().getPort(), token, 0, 2, "zero",
                    job.timeout, job.security));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (recorder.recorded().length < Handshake.CLIENT_HELLO_BYTES + Handshake.PROOF_BYTES + 48
                    && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            byte[] recorded = recorder.recorded();
            try (RawPeer replay = new RawPeer(job.rendezvousAddress())) {
                replay.write(recorded);
                assertEquals(Handshake.SERVER_HELLO_BYTES, replay.bytesUntilClosed(4000),
                        "the replay gets a fresh server hello, then nothing");
            }
            assertEquals(1, job.rendezvousLog.count("authentication"));
            // the replayed request (rank 0 of the token) neither registered twice nor displaced the real one
            String[] one = DriverRendezvous.exchange(job.rendezvous.address(), token, 1, 2, "one", job.timeout, job.security);
            assertArrayEquals(new String[] {"zero", "one"}, one);
            assertArrayEquals(new String[] {"zero", "one"}, rank0.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void hugeWorldSizesAndFrameLengthsAreRefusedAndAllocateNothing() throws Exception {
        try (Job job = new Job(3, Duration.ofSeconds(30))) {
            long heapBefore = usedHeapAfterGc();
            // the old protocol's request with a world size of 2^26: once ~570 MB of heap for three of them
            for (int i = 0; i < 3; i++) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                DataOutputStream out = new DataOutputStream(b);
                out.writeInt(0x53424e52);
                out.writeUTF("t/r0/a0.0");
                out.writeInt(0);
                out.writeInt(1 << 26);
                out.writeUTF("x");
                try (RawPeer p = new RawPeer(job.rendezvousAddress())) {
                    p.write(b.toByteArray());
                    assertEquals(0, p.bytesUntilClosed(4000));
                }
            }
            // with the secret: a request for 2^30 members is answered with the limit, not allocated
            try (RawPeer p = new RawPeer(job.rendezvousAddress())) {
                assertNull(p.authenticate(job.security, Handshake.Purpose.RENDEZVOUS, Handshake.noContext()));
                p.write(p.sealed(Frames.RENDEZVOUS_REQUEST, request("t/r0/a0.0", 0, 1 << 30, "x")));
                String reply = new String(p.readControl(), StandardCharsets.UTF_8);
                assertTrue(reply.contains("outside the limits"), reply);
            }
            // with the secret: a first frame claiming 2^28 - 1 doubles, at the rendezvous and at a mesh listener
            byte[] header = new byte[Frames.HEADER_BYTES];
            new Frames.Header(Op.ALL_REDUCE_SUM.code, 0, 1, Limits.MAX_ELEMENTS, 0, (1 << 28) - 1, Frames.LAST).write(header);
            try (RawPeer p = new RawPeer(job.rendezvousAddress())) {
                assertNull(p.authenticate(job.security, Handshake.Purpose.RENDEZVOUS, Handshake.noContext()));
                p.write(header);
                assertEquals(0, p.bytesUntilClosed(4000));
            }
            long ms = job.round("t/r0/a0.0", () -> {
                try (RawPeer p = new RawPeer(job.meshAddressUnderAttack(0))) {
                    assertNull(p.authenticate(job.security, Handshake.Purpose.MESH, job.meshContextUnderAttack()));
                    p.write(header);
                    assertEquals(0, p.bytesUntilClosed(4000));
                }
            });
            assertTrue(ms < NORMAL_ROUND_MS, "the round took " + ms + " ms");
            assertEquals(2, job.refusals("bad first frame"));
            long grown = usedHeapAfterGc() - heapBefore;
            assertTrue(grown < 32 << 20, "heap grew by " + (grown >> 20) + " MB");
        }
    }

    @Test
    void aMemberWithTheSecretSendingAHugeFrameLengthFailsTheOperationAtOnceWithoutAllocating() throws Exception {
        ServerSocketChannel s0 = TcpCollectiveTest.listen();
        List<InetSocketAddress> addresses = List.of(TcpCollectiveTest.addressOf(s0),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 9));
        CollectiveSecurity security = new CollectiveSecurity(JobSecret.random(), false);
        CompletableFuture<TcpCollective> r0 = CompletableFuture.supplyAsync(
                () -> TcpCollective.connect(0, addresses, s0, Duration.ofSeconds(10), security));
        try (RawPeer insider = new RawPeer(addresses.get(0))) {
            assertNull(insider.authenticate(security, Handshake.Purpose.MESH, Handshake.meshContext(addresses)));
            insider.write(insider.sealed(Frames.HELLO, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(2).array()));
            assertNotNull(insider.readControl(), "rank 0 answers its hello");
            try (TcpCollective c0 = r0.get(10, TimeUnit.SECONDS)) {
                long heapBefore = usedHeapAfterGc();
                CompletableFuture<double[]> sum = CompletableFuture.supplyAsync(() -> c0.allReduceSum(new double[10]));
                byte[] header = new byte[Frames.HEADER_BYTES];
                new Frames.Header(Op.ALL_REDUCE_SUM.code, Frames.tag(0, 2), 1, Limits.MAX_ELEMENTS, 0, (1 << 28) - 1,
                        Frames.LAST).write(header);
                insider.write(header);
                Exception e = assertThrows(Exception.class, () -> sum.get(5, TimeUnit.SECONDS));
                assertInstanceOf(CollectiveException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("outside the limits"), e.getCause().getMessage());
                assertTrue(usedHeapAfterGc() - heapBefore < 32 << 20);
            }
        }
    }

    @Test
    void aSecondClaimOfARankIsRefusedAndNeverDisplacesTheFirst() throws Exception {
        try (Job job = new Job(3, Duration.ofSeconds(30))) {
            // rendezvous: rank 0 waits; an insider claims rank 0 again
            String token = "t/r2/a0.0";
            CompletableFuture<String[]> real0 = exchangeLater(job, token, 0, 2, "real");
            Thread.sleep(300);
            try (RawPeer p = new RawPeer(job.rendezvousAddress())) {
                assertNull(p.authenticate(job.security, Handshake.Purpose.RENDEZVOUS, Handshake.noContext()));
                p.write(p.sealed(Frames.RENDEZVOUS_REQUEST, request(token, 0, 2, "impostor")));
                String reply = new String(p.readControl(), StandardCharsets.UTF_8);
                assertTrue(reply.contains("does not fit"), reply);
            }
            assertArrayEquals(new String[] {"real", "one"},
                    DriverRendezvous.exchange(job.rendezvous.address(), token, 1, 2, "one", job.timeout, job.security));
            assertArrayEquals(new String[] {"real", "one"}, real0.get(10, TimeUnit.SECONDS));
            assertEquals(1, job.rendezvousLog.count("second claim of a rank"));

            // mesh: rank 2 has joined rank 0; an insider then claims rank 2 at rank 0
            LoopbackMesh.Listeners l = job.listeners;
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<TcpCollective>> joins = new ArrayList<>(List.of(
                        pool.submit(() -> connect(job, l, 0)), pool.submit(() -> connect(job, l, 2))));
                Thread.sleep(1500);   // rank 2 reaches rank 0 at once, then waits for rank 1
                try (RawPeer p = new RawPeer(l.addresses().get(0))) {
                    assertNull(p.authenticate(job.security, Handshake.Purpose.MESH, Handshake.meshContext(l.addresses())));
                    p.write(p.sealed(Frames.HELLO, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(2).putInt(3).array()));
                    assertEquals(0, p.bytesUntilClosed(4000), "the second claim gets no answer");
                }
                assertEquals(1, job.meshLogs[0].count("second claim of a rank"));
                joins.add(1, pool.submit(() -> connect(job, l, 1)));
                List<TcpCollective> members = new ArrayList<>();
                for (Future<TcpCollective> f : joins) {
                    members.add(f.get(20, TimeUnit.SECONDS));
                }
                try {
                    List<double[]> sums = Members.values(Members.run(members, (r, c) -> c.allReduceSum(new double[] {r + 1})));
                    for (double[] s : sums) {
                        assertEquals(6.0, s[0], "the first rank 2 is the one in the mesh");
                    }
                } finally {
                    members.forEach(TcpCollective::close);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static TcpCollective connect(Job job, LoopbackMesh.Listeners l, int rank) {
        return TcpCollective.connect(rank, l.addresses(), l.channels().get(rank), job.timeout, job.security,
                TcpMesh.Tuning.DEFAULT, job.meshLogs[rank]);
    }

    /** Client-to-server bytes of a mesh connection before its first collective frame: hello, proof, hello frame. */
    private static final long MESH_PREAMBLE = Handshake.CLIENT_HELLO_BYTES + Handshake.PROOF_BYTES
            + Frames.HEADER_BYTES + 8 + Frames.TAG_BYTES;

    /**
     * Members 1 and 2 reach member 0 through a relay that does {@code plan} to their streams; each
     * member runs two BN sums and returns the first. Whoever got all its peers' frames intact may
     * finish the first; nobody may return a wrong sum, and nobody may finish the second.
     */
    private static List<Members.Outcome<double[]>> sumTwiceThroughRelayInFrontOfRankZero(Relay.Plan plan, Duration timeout)
            throws Exception {
        LoopbackMesh.Listeners l = LoopbackMesh.bind(3);
        try (Relay relay = new Relay(l.addresses().get(0), plan)) {
            List<InetSocketAddress> advertised = List.of(relay.address(), l.addresses().get(1), l.addresses().get(2));
            CollectiveSecurity security = new CollectiveSecurity(JobSecret.random(), false);
            List<TcpCollective> members = LoopbackMesh.connect(l, (rank, addresses, listening) ->
                    TcpCollective.connect(rank, advertised, listening, timeout, security));
            try {
                double[] expected = CollectiveContractTest.rankOrderedSum(CollectiveContractTest.dataOfRanks(0, 3, 0, 1025));
                return Members.run(members, (r, c) -> {
                    double[] first = c.allReduceSum(CollectiveContractTest.data(r, 0, 1025));
                    Members.assertBitwiseEquals(expected, first, "a sum that completes is the right one");
                    c.allReduceSum(CollectiveContractTest.data(r, 1, 1025));
                    throw new AssertionError("member " + r + " completed a second sum on a broken mesh");
                });
            } finally {
                members.forEach(TcpCollective::close);
            }
        }
    }

    @Test
    void aFrameWithABadTagFailsTheOperationAtOnceAndNeverYieldsAWrongResult() throws Exception {
        var outcomes = sumTwiceThroughRelayInFrontOfRankZero(new Relay.Plan(MESH_PREAMBLE + Frames.HEADER_BYTES + 8, -1),
                Duration.ofSeconds(20));
        for (var o : outcomes) {
            assertInstanceOf(CollectiveException.class, o.error(), "member " + o.rank());
            assertTrue(o.millis() < 5000, "member " + o.rank() + " failed after " + o.millis() + " ms");
        }
        String msg = outcomes.get(0).error().getMessage();
        assertTrue(msg.startsWith("rank 0: allReduceSum #1 failed: the connection with rank") && msg.contains("tampered with"),
                msg);

        // at the rendezvous: a request whose tag does not check is dropped; the job meets as usual
        try (Job job = new Job(3, Duration.ofSeconds(30)); RawPeer p = new RawPeer(job.rendezvousAddress())) {
            assertNull(p.authenticate(job.security, Handshake.Purpose.RENDEZVOUS, Handshake.noContext()));
            byte[] frame = p.sealed(Frames.RENDEZVOUS_REQUEST, request("t/r0/a0.0", 0, 3, "forged"));
            frame[Frames.HEADER_BYTES + 3] ^= 1;
            p.write(frame);
            assertEquals(0, p.bytesUntilClosed(4000));
            assertEquals(1, job.rendezvousLog.count("bad first frame"));
            assertTrue(job.round("t/r0/a0.0") < NORMAL_ROUND_MS);
        }
    }

    @Test
    void aPeerThatStopsMidFrameIsDroppedAtTheRendezvousAndTimesTheMeshOutNeverHangingIt() throws Exception {
        try (Job job = new Job(3, Duration.ofSeconds(30)); RawPeer p = new RawPeer(job.rendezvousAddress())) {
            assertNull(p.authenticate(job.security, Handshake.Purpose.RENDEZVOUS, Handshake.noContext()));
            byte[] frame = p.sealed(Frames.RENDEZVOUS_REQUEST, request("t/r0/a0.0", 0, 3, "stalled"));
            p.write(java.util.Arrays.copyOf(frame, frame.length / 2));
            long ms = job.round("t/r0/a0.0");
            assertTrue(ms < NORMAL_ROUND_MS, "the round took " + ms + " ms");
            assertEquals(0, p.bytesUntilClosed(4000), "dropped at the handshake deadline");
            assertEquals(1, job.rendezvousLog.count("handshake timeout"));
        }
        Duration timeout = Duration.ofSeconds(2);
        var outcomes = sumTwiceThroughRelayInFrontOfRankZero(new Relay.Plan(-1, MESH_PREAMBLE + 20), timeout);
        for (var o : outcomes) {
            assertInstanceOf(CollectiveException.class, o.error(), "member " + o.rank());
            assertTrue(o.millis() < timeout.toMillis() + 1500, "member " + o.rank() + " failed after " + o.millis() + " ms");
        }
        // the stall is caught by a timeout; whose fires first is a race of a millisecond (rank 0 waits in
        // sum #1, the others in #2), and whoever loses it sees the winner's connection close
        String msg = outcomes.get(0).error().getMessage();
        assertTrue(msg.startsWith("rank 0: allReduceSum #1 "), msg);
        assertTrue(outcomes.stream().anyMatch(o -> o.error().getMessage().contains("timed out after 2 s waiting for rank")),
                outcomes.stream().map(o -> o.error().getMessage()).toList().toString());
    }

    @Test
    void aFloodOfStrangersCostsNoThreadNoHeapAndFewLogLines() throws Exception {
        try (Job job = new Job(3, Duration.ofSeconds(30))) {
            int[] threadsBefore = new int[1];
            // the same moment of an undisturbed round: members in their connect, gates open
            job.round("t/r0/a0.0", () -> threadsBefore[0] = ManagementFactory.getThreadMXBean().getThreadCount());
            long heapBefore = usedHeapAfterGc();
            CollectiveSecurity stranger = new CollectiveSecurity(JobSecret.random(), false);
            List<RawPeer> held = new ArrayList<>();
            Random rnd = new Random(9);
            try {
                for (int round = 1; round <= 3; round++) {
                    long ms = job.round("t/r" + round + "/a0.0", () -> {
                        List<InetSocketAddress> targets = List.of(job.rendezvousAddress(), job.meshAddressUnderAttack(0),
                                job.meshAddressUnderAttack(1));
                        for (InetSocketAddress t : targets) {
                            boolean rv = t.equals(job.rendezvousAddress());
                            for (int i = 0; i < 100; i++) {
                                held.add(new RawPeer(t));   // idle
                                RawPeer g = new RawPeer(t);   // garbage
                                byte[] junk = new byte[1 + rnd.nextInt(200)];
                                rnd.nextBytes(junk);
                                g.write(junk);
                                held.add(g);
                            }
                            for (int i = 0; i < 20; i++) {   // a stranger's key, and a proof anyway
                                RawPeer s = new RawPeer(t);
                                held.add(s);
                                try {
                                    s.authenticate(stranger, rv ? Handshake.Purpose.RENDEZVOUS : Handshake.Purpose.MESH,
                                            rv ? Handshake.noContext() : job.meshContextUnderAttack());
                                } catch (IOException evicted) {
                                    // dropped before its hello was answered: the listener was full of idlers
                                }
                            }
                        }
                        int threadsDuring = ManagementFactory.getThreadMXBean().getThreadCount();
                        assertTrue(threadsDuring - threadsBefore[0] <= 2, "threads: " + threadsBefore[0]
                                + " in an undisturbed round, " + threadsDuring + " with " + held.size() + " hostile connections");
                    });
                    assertTrue(ms < NORMAL_ROUND_MS, "round " + round + " took " + ms + " ms under the flood");
                }
                long grown = usedHeapAfterGc() - heapBefore;
                assertTrue(grown < 32 << 20, "heap grew by " + (grown >> 20) + " MB");
                long refused = job.rendezvousLog.total() + job.meshLogs[0].total() + job.meshLogs[1].total();
                assertTrue(refused > 600, refused + " refusals");
                assertTrue(job.logLines.size() <= 30, job.logLines.size() + " log lines: " + job.logLines);
                assertFalse(job.logLines.isEmpty(), "refusals are logged");
            } finally {
                closeAll(held);
            }
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
