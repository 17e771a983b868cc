package org.syncbn.collective;

import org.junit.jupiter.api.Test;
import org.syncbn.bench.LoopbackMesh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@link Collective} contract over TCP on 127.0.0.1, plus the connect handshake and message tags. */
class TcpCollectiveTest extends CollectiveContractTest {
    @Override
    List<? extends Collective> connect(int size, Duration timeout) {
        return LoopbackMesh.create(size, timeout);
    }

    static final CollectiveSecurity SECURITY = new CollectiveSecurity(JobSecret.random(), false);

    static ServerSocketChannel listen() throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        return s;
    }

    static InetSocketAddress addressOf(ServerSocketChannel s) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), s.socket().getLocalPort());
    }

    @Test
    void connectTimesOutNamingTheRankThatNeverConnects() throws Exception {
        try (ServerSocketChannel s0 = listen(); ServerSocketChannel s1 = listen()) {
            List<InetSocketAddress> peers = List.of(addressOf(s0), addressOf(s1));
            long t0 = System.nanoTime();
            CollectiveException e = assertThrows(CollectiveException.class,
                    () -> TcpCollective.connect(0, peers, s0, Duration.ofSeconds(1), SECURITY));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 900 && ms < 3000, "took " + ms + " ms");
            assertEquals("rank 0: connect timed out after 1 s waiting for rank 1 to connect", e.getMessage());
        }
    }

    @Test
    void connectTimesOutNamingTheRankThatNeverAnswers() throws Exception {
        // rank 0's port is bound (the kernel accepts the TCP connection) but rank 0 never runs
        try (ServerSocketChannel s0 = listen(); ServerSocketChannel s1 = listen()) {
            List<InetSocketAddress> peers = List.of(addressOf(s0), addressOf(s1));
            CollectiveException e = assertThrows(CollectiveException.class,
                    () -> TcpCollective.connect(1, peers, s1, Duration.ofSeconds(1), SECURITY));
            assertTrue(e.getMessage().startsWith("rank 1: connect timed out after 1 s reaching rank 0"), e.getMessage());
        }
    }

    @Test
    void connectIgnoresAStrayConnectionWithoutTheMagic() throws Exception {
        ServerSocketChannel s0 = listen();
        ServerSocketChannel s1 = listen();
        List<InetSocketAddress> peers = List.of(addressOf(s0), addressOf(s1));
        try (Socket stray = new Socket()) {
            stray.connect(addressOf(s0));
            stray.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            stray.getOutputStream().flush();
            CompletableFuture<TcpCollective> r0 = CompletableFuture.supplyAsync(
                    () -> TcpCollective.connect(0, peers, s0, Duration.ofSeconds(10), SECURITY));
            try (TcpCollective c1 = TcpCollective.connect(1, peers, s1, Duration.ofSeconds(10), SECURITY);
                 TcpCollective c0 = r0.get(10, TimeUnit.SECONDS)) {
                CompletableFuture<double[]> sum0 = CompletableFuture.supplyAsync(() -> c0.allReduceSum(new double[] {1}));
                assertEquals(3.0, c1.allReduceSum(new double[] {2})[0]);
                assertEquals(3.0, sum0.get(10, TimeUnit.SECONDS)[0]);
            }
        }
    }

    @Test
    void aConnectionSpeakingAnotherProtocolVersionIsRefusedAndNamedWhenTheRealPeerNeverComes() throws Exception {
        ServerSocketChannel s0 = listen();
        List<InetSocketAddress> peers = List.of(addressOf(s0), new InetSocketAddress(InetAddress.getLoopbackAddress(), 1));
        CompletableFuture<TcpCollective> r0 = CompletableFuture.supplyAsync(
                () -> TcpCollective.connect(0, peers, s0, Duration.ofSeconds(2), SECURITY));
        try (Socket impostor = new Socket()) {
            impostor.connect(peers.get(0));
            ByteBuffer hello = ByteBuffer.allocate(Handshake.CLIENT_HELLO_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            hello.putInt(Handshake.MAGIC).putInt(99);
            impostor.getOutputStream().write(hello.array());
            impostor.getOutputStream().flush();
            // an unauthenticated peer cannot end the connect: it is refused, and the wait goes on
            assertEquals(-1, impostor.getInputStream().read(), "the impostor is disconnected without an answer");
            assertFalse(r0.isDone());
            ExecutionException e = assertThrows(ExecutionException.class, () -> r0.get(10, TimeUnit.SECONDS));
            assertInstanceOf(CollectiveException.class, e.getCause());
            String msg = e.getCause().getMessage();
            assertTrue(msg.startsWith("rank 0: connect timed out after 2 s waiting for rank 1 to connect (refused 1 connection:"),
                    msg);
            assertTrue(msg.contains("speaks protocol version 99, this member speaks 2"), msg);
        }
    }

    @Test
    void aSubgroupMessageReachingAParentOperationIsReportedWithBothGroupsNamed() {
        List<Collective> members = members(4, Duration.ofSeconds(5));
        var outcomes = Members.run(members, (r, c) ->
                r == 0 ? c.group(2).allGather(new double[] {r}) : c.allGather(new double[] {r}));
        for (var o : outcomes) {
            assertInstanceOf(CollectiveException.class, o.error(), "member " + o.rank());
            assertTrue(o.millis() < 4000, "member " + o.rank() + " failed after " + o.millis() + " ms");
        }
        String msg = outcomes.get(0).error().getMessage();
        assertTrue(msg.startsWith("rank 0 in group [0, 2): allGather #1 of group [0, 2) got allGather #1 of group [0, 4)"
                + " from rank 1"), msg);
    }

    @Test
    void frameOverTheSingleWriteLimitGoesThroughTheSenderThreads() {
        // the boundary between the two send paths, both sides of it
        int eagerDoubles = (TcpMesh.EAGER_FRAME_BYTES - Frames.HEADER_BYTES) / 8;
        List<Collective> members = members(3, Duration.ofSeconds(30));
        Members.values(Members.run(members, (r, c) -> {
            for (int n : new int[] {eagerDoubles, eagerDoubles + 1, eagerDoubles, eagerDoubles + 1}) {
                double[][] all = c.allGather(data(r, n, n));
                for (int q = 0; q < 3; q++) {
                    Members.assertBitwiseEquals(data(q, n, n), all[q], "n=" + n + ", slot " + q);
                }
            }
            return null;
        }));
    }

    @Test
    void connectValidatesItsArguments() throws Exception {
        try (ServerSocketChannel s = listen()) {
            List<InetSocketAddress> one = new ArrayList<>(List.of(addressOf(s)));
            assertThrows(IllegalArgumentException.class, () -> TcpCollective.connect(1, one, s, Duration.ofSeconds(1), SECURITY));
            assertThrows(IllegalArgumentException.class, () -> TcpCollective.connect(0, one, s, Duration.ZERO, SECURITY));
        }
    }

    @Test
    void barrierAddressesAreParsedByTheirRankPrefixInAnyOrder() {
        List<InetSocketAddress> a = BarrierRendezvous.parse(new String[] {"1@127.0.0.1:4002", "0@localhost:4001",
                "2@[::1]:4003"});
        assertEquals(4001, a.get(0).getPort());
        assertEquals(4002, a.get(1).getPort());
        assertEquals(4003, a.get(2).getPort());
        assertTrue(a.get(2).getAddress().isLoopbackAddress());
        assertThrows(IllegalStateException.class, () -> BarrierRendezvous.parse(new String[] {"0@h:1", "0@h:2"}));
    }
}
