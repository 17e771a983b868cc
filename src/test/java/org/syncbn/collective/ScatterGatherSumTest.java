package org.syncbn.collective;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.syncbn.bench.LoopbackMesh;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The large-array sum over TCP ({@link ScatterGatherSum}): every size, split and precision equals
 * the rank-ordered sum bitwise on every member; failures end it within the timeout.
 */
class ScatterGatherSumTest {
    private static final Duration GENEROUS = Duration.ofSeconds(60);

    /** A mesh whose sums all take the scatter-gather path, in chunks of {@code chunkBytes}. */
    static List<TcpCollective> mesh(int w, Duration timeout, TcpMesh.Tuning tuning) {
        CollectiveSecurity security = new CollectiveSecurity(JobSecret.random(), false);
        return LoopbackMesh.connect(LoopbackMesh.bind(w), (rank, addresses, listening) ->
                TcpCollective.connect(rank, addresses, listening, timeout, security, tuning,
                        RefusalLog.toSlf4j("test rank " + rank)));
    }

    private static void closeAll(List<? extends Collective> members) {
        members.forEach(Collective::close);
    }

    @ParameterizedTest(name = "W={0}")
    @ValueSource(ints = {2, 3, 4, 5, 8})
    void everySizeAndUnevenSplitIsTheRankOrderedSumBitwiseOnEveryMember(int w) {
        // 3 doubles (6 floats) per chunk: segments of 0, 1 or many chunks, a short last chunk, empty segments
        List<TcpCollective> members = mesh(w, GENEROUS, new TcpMesh.Tuning(0, 24));
        try {
            int[] sizes = {0, 1, 2, 3, w - 1, w, w + 1, 2 * w + 1, 7, 31, 97, 1000, 3 * 1024 + 5};
            Members.values(Members.run(members, (r, c) -> {
                for (int i = 0; i < sizes.length; i++) {
                    int n = sizes[i];
                    Members.assertBitwiseEquals(CollectiveContractTest.rankOrderedSum(
                                    CollectiveContractTest.dataOfRanks(0, w, i, n)),
                            c.allReduceSum(CollectiveContractTest.data(r, i, n)), "double, n=" + n);
                    Members.assertBitwiseEquals(CollectiveContractTest.rankOrderedFloatSum(0, w, i, n),
                            c.allReduceSum(CollectiveContractTest.floats(r, i, n)), "float, n=" + n);
                }
                return null;
            }));
        } finally {
            closeAll(members);
        }
    }

    @ParameterizedTest(name = "W={0}")
    @ValueSource(ints = {2, 3, 8})
    void tensOfMegabytesWithTheDefaultChunksAreTheRankOrderedSumBitwise(int w) {
        int n = w == 8 ? 6_000_011 : 3_000_017;   // 24 MB of floats at W = 8, 24 MB of doubles otherwise
        List<TcpCollective> members = mesh(w, GENEROUS, TcpMesh.Tuning.DEFAULT);
        try {
            if (w == 8) {
                float[] expected = CollectiveContractTest.rankOrderedFloatSum(0, w, 9, n);
                Members.values(Members.run(members, (r, c) -> {
                    Members.assertBitwiseEquals(expected, c.allReduceSum(CollectiveContractTest.floats(r, 9, n)), "float");
                    return null;
                }));
            } else {
                double[] expected = CollectiveContractTest.rankOrderedSum(CollectiveContractTest.dataOfRanks(0, w, 9, n));
                Members.values(Members.run(members, (r, c) -> {
                    Members.assertBitwiseEquals(expected, c.allReduceSum(CollectiveContractTest.data(r, 9, n)), "double");
                    return null;
                }));
            }
        } finally {
            closeAll(members);
        }
    }

    @Test
    void howACallerBucketsItsBuffersDoesNotChangeTheBits() {
        int w = 4;
        int n = 400_000;
        List<TcpCollective> members = mesh(w, GENEROUS, TcpMesh.Tuning.DEFAULT);
        try {
            List<double[]> results = Members.values(Members.run(members, (r, c) -> {
                double[] mine = CollectiveContractTest.data(r, 3, n);
                double[] whole = c.allReduceSum(mine);
                // buckets from a few elements (small path) to hundreds of KB (scatter-gather), in one stream
                Random cut = new Random(11);
                double[] pieced = new double[n];
                for (int from = 0; from < n; ) {
                    int len = Math.min(n - from, cut.nextBoolean() ? 1 + cut.nextInt(100) : 8192 + cut.nextInt(60_000));
                    System.arraycopy(c.allReduceSum(Arrays.copyOfRange(mine, from, from + len)), 0, pieced, from, len);
                    from += len;
                }
                Members.assertBitwiseEquals(whole, pieced, "member " + r);
                return whole;
            }));
            Members.assertBitwiseEquals(CollectiveContractTest.rankOrderedSum(CollectiveContractTest.dataOfRanks(0, w, 3, n)),
                    results.get(0), "against the reference");
        } finally {
            closeAll(members);
        }
    }

    @Test
    void mismatchedLengthsOnTheLargePathAreReportedOnEveryMemberAndTheMeshStaysUsable() {
        int w = 3;
        List<TcpCollective> members = mesh(w, GENEROUS, TcpMesh.Tuning.DEFAULT);
        try {
            int[] lengths = {200_000, 200_001, 50};   // two large ones that differ, one on the small path
            var outcomes = Members.run(members, (r, c) -> {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> c.allReduceSum(new double[lengths[r]]));
                double[] ok = c.allReduceSum(CollectiveContractTest.data(r, 4, 300_000));
                return List.of(e.getMessage(), ok);
            });
            double[] expected = CollectiveContractTest.rankOrderedSum(CollectiveContractTest.dataOfRanks(0, w, 4, 300_000));
            for (var o : outcomes) {
                List<?> got = o.get();
                assertTrue(((String) got.get(0)).contains("rank 0: 200000, rank 1: 200001, rank 2: 50"), (String) got.get(0));
                Members.assertBitwiseEquals(expected, (double[]) got.get(1), "member " + o.rank() + " after the mismatch");
            }
        } finally {
            closeAll(members);
        }
    }

    @Test
    void aPeerThatDiesMidTransferMakesEveryOtherMemberFailWellWithinTheTimeout() throws Exception {
        int w = 4;
        Duration timeout = Duration.ofSeconds(20);
        List<TcpCollective> members = mesh(w, timeout, new TcpMesh.Tuning(0, 16 * 1024));
        try {
            double[] big = new double[2_000_000];
            Arrays.fill(big, 1);
            List<CompletableFuture<Long>> survivors = new ArrayList<>();
            long[] failedAt = new long[w];
            for (int r = 0; r < w; r++) {
                TcpCollective c = members.get(r);
                int rank = r;
                CompletableFuture<Long> f = CompletableFuture.supplyAsync(() -> {
                    // back to back, so the kill lands inside a transfer
                    for (long i = 0; ; i++) {
                        try {
                            c.allReduceSum(big);
                        } catch (CollectiveException e) {
                            failedAt[rank] = System.nanoTime();
                            return i;
                        }
                    }
                });
                if (r < w - 1) {
                    survivors.add(f);
                }
            }
            Thread.sleep(1500);
            long killed = System.nanoTime();
            members.get(w - 1).close();   // as the OS does when the process dies: its sockets close
            for (int r = 0; r < w - 1; r++) {
                long rounds = survivors.get(r).get(timeout.toSeconds(), TimeUnit.SECONDS);
                assertTrue(rounds > 0, "member " + r + " completed no sum before the kill: the test did not run a transfer");
                long ms = (failedAt[r] - killed) / 1_000_000;
                assertTrue(ms < 5000, "member " + r + " failed " + ms + " ms after the kill (timeout 20 s)");
            }
        } finally {
            closeAll(members);
        }
    }

    @Test
    void aMemberThatStopsTakingPartMakesTheOthersTimeOutWithinTheTimeoutNotHang() {
        int w = 3;
        Duration timeout = Duration.ofSeconds(2);
        List<TcpCollective> members = mesh(w, timeout, TcpMesh.Tuning.DEFAULT);
        try {
            var outcomes = Members.run(members, (r, c) -> {
                if (r == 2) {
                    Thread.sleep(3500);   // alive, holding its sockets, never joining the sum
                    return null;
                }
                return c.allReduceSum(new double[1 << 20]);
            });
            for (int r = 0; r < 2; r++) {
                var o = outcomes.get(r);
                assertInstanceOf(CollectiveException.class, o.error(), "member " + r);
                assertTrue(o.millis() >= 1900 && o.millis() < 3400, "member " + r + " failed after " + o.millis() + " ms");
            }
        } finally {
            closeAll(members);
        }
    }

    @Test
    void floatsTravelAsFloats() {
        assertEquals(4, Op.ALL_REDUCE_SUM_F32.type.bytes);
        assertEquals(4, Frames.elementBytes(Op.ALL_REDUCE_SUM_F32.code));
        assertEquals(8, Frames.elementBytes(Op.ALL_REDUCE_SUM.code));
    }
}
