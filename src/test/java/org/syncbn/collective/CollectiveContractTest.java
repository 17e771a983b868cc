package org.syncbn.collective;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Collective} contract, run against each implementation by a subclass: members are
 * threads, as W workers would be.
 */
abstract class CollectiveContractTest {
    private static final Duration GENEROUS = Duration.ofSeconds(30);
    private final List<Collective> opened = new ArrayList<>();

    /** {@code size} connected members, member r at index r. */
    abstract List<? extends Collective> connect(int size, Duration timeout);

    List<Collective> members(int size, Duration timeout) {
        List<Collective> m = new ArrayList<>(connect(size, timeout));
        opened.addAll(m);
        return m;
    }

    @AfterEach
    void closeMembers() {
        opened.forEach(Collective::close);
    }

    /** Distinct, order-sensitive values: magnitudes from 1e-10 to 1e10, so addition order shows in the bits. */
    static double[] data(int rank, int step, int n) {
        Random rnd = new Random(1_000_003L * rank + step);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(21) - 10);
        }
        return d;
    }

    static double[] rankOrderedSum(List<double[]> parts) {
        double[] s = parts.get(0).clone();
        for (int r = 1; r < parts.size(); r++) {
            for (int i = 0; i < s.length; i++) {
                s[i] += parts.get(r)[i];
            }
        }
        return s;
    }

    static List<double[]> dataOfRanks(int from, int to, int step, int n) {
        List<double[]> parts = new ArrayList<>();
        for (int r = from; r < to; r++) {
            parts.add(data(r, step, n));
        }
        return parts;
    }

    @ParameterizedTest(name = "W={0}")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void allGatherReturnsEveryRanksDataInRankOrder(int w) {
        List<Collective> members = members(w, GENEROUS);
        List<double[][]> results = Members.values(Members.run(members, (r, c) -> {
            assertEquals(r, c.rank());
            assertEquals(w, c.size());
            return c.allGather(data(r, 0, 7));
        }));
        for (int m = 0; m < w; m++) {
            double[][] got = results.get(m);
            assertEquals(w, got.length, "member " + m);
            for (int r = 0; r < w; r++) {
                Members.assertBitwiseEquals(data(r, 0, 7), got[r], "member " + m + ", slot of rank " + r);
            }
        }
    }

    @ParameterizedTest(name = "W={0}")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void allReduceSumIsTheRankOrderedSumBitwiseOnEveryMemberAndAcrossRuns(int w) {
        int n = 1025;
        double[] expected = rankOrderedSum(dataOfRanks(0, w, 0, n));
        if (w >= 3) {
            // the data must tell orders apart, or this test could not catch a wrong order
            List<double[]> reversed = dataOfRanks(0, w, 0, n);
            java.util.Collections.reverse(reversed);
            assertFalse(Arrays.equals(expected, rankOrderedSum(reversed)), "test data is not order-sensitive");
        }
        for (int run = 0; run < 2; run++) {
            List<Collective> members = members(w, GENEROUS);
            List<double[]> sums = Members.values(Members.run(members, (r, c) -> c.allReduceSum(data(r, 0, n))));
            for (int m = 0; m < w; m++) {
                Members.assertBitwiseEquals(expected, sums.get(m), "run " + run + ", member " + m);
            }
            members.forEach(Collective::close);
        }
    }

    @ParameterizedTest(name = "W={0}")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void manyConsecutiveOperationsWithVaryingPayloadsAllAgree(int w) {
        int ops = 200;
        List<Collective> members = members(w, GENEROUS);
        Members.values(Members.run(members, (r, c) -> {
            for (int i = 0; i < ops; i++) {
                // mostly BN sizes (0 included), every tenth beyond the single-write frame limit
                int n = i % 10 == 9 ? 4000 + i : (i * 37) % 1100;
                if (i % 2 == 0) {
                    double[][] got = c.allGather(data(r, i, n));
                    for (int q = 0; q < w; q++) {
                        Members.assertBitwiseEquals(data(q, i, n), got[q], "op " + i + ", slot " + q);
                    }
                } else {
                    Members.assertBitwiseEquals(rankOrderedSum(dataOfRanks(0, w, i, n)), c.allReduceSum(data(r, i, n)),
                            "op " + i);
                }
            }
            return null;
        }));
    }

    @ParameterizedTest(name = "W={0}")
    @ValueSource(ints = {2, 3, 4})
    void payloadLargerThanSocketBuffersDoesNotDeadlock(int w) {
        int n = 1 << 20;
        List<Collective> members = members(w, GENEROUS);
        List<double[]> sums = Members.values(Members.run(members, (r, c) -> {
            double[] mine = new double[n];
            Arrays.fill(mine, r + 1);
            mine[n - 1] = -r;
            double[][] all = c.allGather(mine);
            for (int q = 0; q < w; q++) {
                assertEquals(q + 1, all[q][0]);
                assertEquals(-q, all[q][n - 1]);
            }
            return c.allReduceSum(mine);
        }));
        for (double[] s : sums) {
            assertEquals(w * (w + 1) / 2.0, s[0]);
            assertEquals(w * (w + 1) / 2.0, s[n / 2]);
            assertEquals(-(w * (w - 1) / 2.0), s[n - 1]);
        }
    }

    static float[] floats(int rank, int step, int n) {
        Random rnd = new Random(7_000_003L * rank + step);
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(13) - 6));
        }
        return d;
    }

    static float[] rankOrderedFloatSum(int from, int to, int step, int n) {
        float[] s = floats(from, step, n);
        for (int r = from + 1; r < to; r++) {
            float[] p = floats(r, step, n);
            for (int i = 0; i < n; i++) {
                s[i] += p[i];
            }
        }
        return s;
    }

    @ParameterizedTest(name = "W={0}")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void floatOperationsGatherAndAddInFloatArithmeticInRankOrderBitwiseOnEveryMember(int w) {
        int n = 1025;
        float[] expected = rankOrderedFloatSum(0, w, 0, n);
        if (w >= 3) {
            // a double sum rounded once to float differs somewhere: the test tells float arithmetic apart
            double[] wide = new double[n];
            for (int r = 0; r < w; r++) {
                float[] p = floats(r, 0, n);
                for (int i = 0; i < n; i++) {
                    wide[i] += p[i];
                }
            }
            boolean differs = false;
            for (int i = 0; i < n; i++) {
                differs |= Float.floatToRawIntBits((float) wide[i]) != Float.floatToRawIntBits(expected[i]);
            }
            assertTrue(differs, "test data cannot tell float from double addition");
        }
        List<Collective> members = members(w, GENEROUS);
        Members.values(Members.run(members, (r, c) -> {
            float[][] all = c.allGather(floats(r, 0, 7));
            for (int q = 0; q < w; q++) {
                Members.assertBitwiseEquals(floats(q, 0, 7), all[q], "slot " + q);
            }
            for (int step = 0; step < 3; step++) {
                Members.assertBitwiseEquals(rankOrderedFloatSum(0, w, step, n), c.allReduceSum(floats(r, step, n)),
                        "sum, step " + step);
            }
            return null;
        }));
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {8191, 8192, 100_003, (1 << 20) + 3})
    void sumsOfLargeArraysAreTheRankOrderedSumBitwiseInBothPrecisions(int n) {
        int w = 3;
        double[] expected = rankOrderedSum(dataOfRanks(0, w, 5, n));
        float[] expectedFloats = rankOrderedFloatSum(0, w, 5, n);
        List<Collective> members = members(w, GENEROUS);
        Members.values(Members.run(members, (r, c) -> {
            Members.assertBitwiseEquals(expected, c.allReduceSum(data(r, 5, n)), "double sum");
            Members.assertBitwiseEquals(expectedFloats, c.allReduceSum(floats(r, 5, n)), "float sum");
            return null;
        }));
    }

    @Test
    void floatAndDoubleVersionsOfAnOperationAreDifferentOperations() {
        List<Collective> members = members(2, GENEROUS);
        var outcomes = Members.run(members, (r, c) ->
                r == 0 ? c.allReduceSum(new float[] {1}) : c.allReduceSum(new double[] {1}));
        for (var o : outcomes) {
            assertInstanceOf(CollectiveException.class, o.error(), "member " + o.rank());
            String msg = o.error().getMessage();
            assertTrue(msg.contains("allReduceSum(float[])") && msg.contains("allReduceSum"), msg);
        }
    }

    @ParameterizedTest(name = "G={0}")
    @ValueSource(ints = {1, 2})
    void groupsReduceOnlyWithinTheirGroupAndDoNotInterfereWhenRunConcurrently(int g) {
        int w = 4;
        int n = 65;
        List<Collective> members = members(w, GENEROUS);
        Members.values(Members.run(members, (r, c) -> {
            Collective sub = c.group(g);
            assertEquals(g, sub.size());
            assertEquals(r % g, sub.rank());
            int first = r / g * g;
            int step = 0;
            for (int round = 0; round < 3; round++) {
                // groups run different numbers of operations between two parent operations
                for (int i = 0; i < 10 * (r / g + 1); i++, step++) {
                    Members.assertBitwiseEquals(rankOrderedSum(dataOfRanks(first, first + g, step, n)),
                            sub.allReduceSum(data(r, step, n)), "group sum, round " + round + ", op " + i);
                    double[][] got = sub.allGather(data(r, step, 3));
                    assertEquals(g, got.length);
                    for (int q = 0; q < g; q++) {
                        Members.assertBitwiseEquals(data(first + q, step, 3), got[q], "group gather slot " + q);
                    }
                }
                // the parent keeps working in between, on the same connections
                Members.assertBitwiseEquals(rankOrderedSum(dataOfRanks(0, w, 1000 + round, n)),
                        c.allReduceSum(data(r, 1000 + round, n)), "parent sum, round " + round);
            }
            return null;
        }));
    }

    @Test
    void groupOfTheFullSizeIsTheCollectiveItselfAndOtherSizesMustDivideIt() {
        List<Collective> members = members(4, GENEROUS);
        Collective c = members.get(0);
        assertSame(c, c.group(4));
        assertThrows(IllegalArgumentException.class, () -> c.group(3));
        assertThrows(IllegalArgumentException.class, () -> c.group(0));
        // asking for a group twice continues the same operation sequence
        Members.values(Members.run(members, (r, m) -> {
            m.group(2).allReduceSum(new double[] {r});
            double[] s = m.group(2).allReduceSum(new double[] {r});
            assertEquals(r / 2 * 4 + 1, s[0]);
            return null;
        }));
    }

    @Test
    void memberClosingMidOperationMakesItsPeersFailPromptly() {
        Duration timeout = Duration.ofSeconds(10);
        List<Collective> members = members(3, timeout);
        var outcomes = Members.run(members, (r, c) -> {
            if (r == 2) {
                Thread.sleep(300);   // the others are waiting inside allGather by now
                c.close();
                return null;
            }
            return c.allGather(new double[] {r});
        });
        for (int r = 0; r < 2; r++) {
            var o = outcomes.get(r);
            assertInstanceOf(CollectiveException.class, o.error(), "member " + r);
            assertTrue(o.millis() < 3000, "member " + r + " failed only after " + o.millis() + " ms");
            assertTrue(o.error().getMessage().contains("rank 2"), o.error().getMessage());
            assertTrue(o.error().getMessage().contains("allGather"), o.error().getMessage());
        }
        // and the failure sticks: the next operation does not wait either
        long t0 = System.nanoTime();
        assertThrows(CollectiveException.class, () -> members.get(0).allReduceSum(new double[] {1}));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1));
    }

    @Test
    void closedMemberMakesItsPeersNextOperationFailAtOnce() throws Exception {
        List<Collective> members = members(2, Duration.ofSeconds(10));
        members.get(1).close();
        Thread.sleep(100);
        long t0 = System.nanoTime();
        CollectiveException e = assertThrows(CollectiveException.class, () -> members.get(0).allReduceSum(new double[] {1}));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 2000, "failed only after " + ms + " ms");
        assertTrue(e.getMessage().startsWith("rank 0: allReduceSum"), e.getMessage());
        assertTrue(e.getMessage().contains("rank 1"), e.getMessage());
    }

    @Test
    void stalledMemberMakesItsPeersTimeOutWithinTheTimeout() {
        Duration timeout = Duration.ofSeconds(2);
        List<Collective> members = members(3, timeout);
        var outcomes = Members.run(members, (r, c) -> {
            if (r == 2) {
                Thread.sleep(3500);   // alive, but never joins
                return null;
            }
            return c.allReduceSum(new double[] {r});
        });
        boolean someoneTimedOut = false;
        for (int r = 0; r < 2; r++) {
            var o = outcomes.get(r);
            assertInstanceOf(CollectiveException.class, o.error(), "member " + r);
            assertTrue(o.millis() >= 1900 && o.millis() < 3400, "member " + r + " failed after " + o.millis() + " ms");
            assertTrue(o.error().getMessage().contains("rank 2"), o.error().getMessage());
            someoneTimedOut |= o.error().getMessage().contains("timed out after 2 s waiting for rank 2");
        }
        assertTrue(someoneTimedOut, "no member reported the timeout: " + outcomes);
    }

    @Test
    void mismatchedArrayLengthsAreReportedOnEveryMemberAndTheCollectiveStaysUsable() {
        List<Collective> members = members(3, GENEROUS);
        var outcomes = Members.run(members, (r, c) -> {
            IllegalStateException gather = assertThrows(IllegalStateException.class,
                    () -> c.allGather(new double[r == 1 ? 5 : 4]));
            IllegalStateException sum = assertThrows(IllegalStateException.class,
                    () -> c.allReduceSum(new double[r == 2 ? 0 : 2]));
            double[] ok = c.allReduceSum(new double[] {r});
            return List.of(gather.getMessage(), sum.getMessage(), String.valueOf(ok[0]));
        });
        for (var o : outcomes) {
            List<String> got = o.get();
            assertTrue(got.get(0).contains("rank 0: 4, rank 1: 5, rank 2: 4"), got.get(0));
            assertTrue(got.get(0).contains("allGather"), got.get(0));
            assertTrue(got.get(1).contains("rank 0: 2, rank 1: 2, rank 2: 0"), got.get(1));
            assertEquals("3.0", got.get(2));
        }
    }

    @Test
    void membersCallingDifferentOperationsFailWithBothNamed() {
        List<Collective> members = members(2, GENEROUS);
        var outcomes = Members.run(members, (r, c) ->
                r == 0 ? c.allGather(new double[] {1}) : new double[][] {c.allReduceSum(new double[] {1})});
        for (var o : outcomes) {
            assertInstanceOf(CollectiveException.class, o.error(), "member " + o.rank());
            String msg = o.error().getMessage();
            assertTrue(msg.contains("allGather") && msg.contains("allReduceSum"), msg);
        }
    }

    @Test
    void operationOnAClosedMemberThrows() {
        List<Collective> members = members(2, GENEROUS);
        members.get(0).close();
        members.get(0).close();   // idempotent
        CollectiveException e = assertThrows(CollectiveException.class, () -> members.get(0).allGather(new double[1]));
        assertTrue(e.getMessage().startsWith("rank 0: allGather"), e.getMessage());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void usingOneMemberFromTwoThreadsAtOnceIsRejected() throws Exception {
        List<Collective> members = members(2, GENEROUS);
        CompletableFuture<double[]> first = CompletableFuture.supplyAsync(() -> members.get(0).allReduceSum(new double[] {1}));
        Thread.sleep(200);   // the first call is waiting for member 1 now
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> members.get(0).allReduceSum(new double[] {1}));
        assertTrue(e.getMessage().contains("one thread at a time"), e.getMessage());
        assertArrayEquals(new double[] {3}, members.get(1).allReduceSum(new double[] {2}));
        double[] firstResult = first.get(10, TimeUnit.SECONDS);
        assertNotNull(firstResult);
        assertEquals(3, firstResult[0]);
    }
}
