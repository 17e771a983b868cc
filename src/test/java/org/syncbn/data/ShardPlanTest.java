package org.syncbn.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardPlanTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 7})
    void shardsAreBalancedDisjointAndCoverEveryExample(int workers) {
        int[] order = ShardPlan.globalOrder(1001, 0, 42, true);
        Set<Integer> seen = new HashSet<>();
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (int k = 0; k < workers; k++) {
            int[] shard = ShardPlan.shardIndices(order, workers, k);
            assertEquals(ShardPlan.shardSize(1001, workers, k), shard.length);
            min = Math.min(min, shard.length);
            max = Math.max(max, shard.length);
            for (int i : shard) {
                assertTrue(seen.add(i), "example " + i + " in two shards");
            }
        }
        assertEquals(1001, seen.size());
        assertTrue(max - min <= 1, "shard sizes differ by " + (max - min));
    }

    @Test
    void globalOrderIsStableForASeedAndDiffersAcrossSeeds() {
        assertArrayEquals(ShardPlan.globalOrder(500, 0, 7, true), ShardPlan.globalOrder(500, 0, 7, true));
        assertFalse(Arrays.equals(ShardPlan.globalOrder(500, 0, 7, true), ShardPlan.globalOrder(500, 0, 8, true)));
        int[] sorted = ShardPlan.globalOrder(500, 0, 7, true).clone();
        Arrays.sort(sorted);
        assertArrayEquals(ShardPlan.globalOrder(500, 0, 7, false), sorted);
    }

    @Test
    void maxExamplesTakesThePrefixOfTheGlobalOrder() {
        int[] full = ShardPlan.globalOrder(500, 0, 3, true);
        assertArrayEquals(Arrays.copyOf(full, 100), ShardPlan.globalOrder(500, 100, 3, true));
        assertEquals(500, ShardPlan.globalOrder(500, 9999, 3, true).length);
    }

    /** The basis of the SyncBN equivalence checks: without shuffle, step t sees the same examples for any W. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void withoutShuffleTheGlobalBatchAtEveryStepIsTheSameSetForAnyWorkerCount(int workers) {
        int n = 103;
        int globalBatch = 12;
        if (globalBatch % workers != 0) {
            return;
        }
        int b = globalBatch / workers;
        int[] order = ShardPlan.globalOrder(n, 0, 1, false);
        ShardPlan plan = new ShardPlan(n, workers, b, 1, false);
        assertEquals((n + globalBatch - 1) / globalBatch, plan.stepsPerEpoch());
        for (int epoch = 0; epoch < 2; epoch++) {
            for (int t = 0; t < plan.stepsPerEpoch(); t++) {
                Set<Integer> batch = new TreeSet<>();
                for (int k = 0; k < workers; k++) {
                    int[] shard = ShardPlan.shardIndices(order, workers, k);
                    for (int pos : plan.batch(k, epoch, t)) {
                        batch.add(shard[pos]);
                    }
                }
                Set<Integer> expected = new TreeSet<>();
                for (int i = t * globalBatch; i < Math.min(n, (t + 1) * globalBatch); i++) {
                    expected.add(i);
                }
                assertEquals(expected, batch, "step " + t + " with W=" + workers);
            }
        }
    }

    @Test
    void eachWorkerReshufflesItsShardEveryEpochWhenShuffling() {
        ShardPlan plan = new ShardPlan(1000, 2, 10, 5, true);
        int[] e0 = plan.epochOrder(0, 0);
        int[] e1 = plan.epochOrder(0, 1);
        assertFalse(Arrays.equals(e0, e1));
        assertFalse(Arrays.equals(e0, plan.epochOrder(1, 0)));
        assertArrayEquals(e0, plan.epochOrder(0, 0));
        int[] sorted = e1.clone();
        Arrays.sort(sorted);
        int[] identity = new ShardPlan(1000, 2, 10, 5, false).epochOrder(0, 1);
        assertArrayEquals(identity, sorted);
    }

    @Test
    void lastStepOfAnEpochMayLeaveAWorkerEmpty() {
        ShardPlan plan = new ShardPlan(9, 4, 2, 0, false);   // shards 3,2,2,2; global batch 8
        assertEquals(2, plan.stepsPerEpoch());
        assertEquals(1, plan.batch(0, 0, 1).length);
        assertEquals(0, plan.batch(1, 0, 1).length);
    }
}
