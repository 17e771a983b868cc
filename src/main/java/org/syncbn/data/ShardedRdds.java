package org.syncbn.data;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Builds one persisted partition per worker, each read from the source on its executor.
 *
 * <p>Stored deserialised (MEMORY_AND_DISK, not _SER): every round's barrier stage reads its shard
 * again, and in an executor's memory store that is a reference, not a decode of tens of MB.
 */
public final class ShardedRdds {
    private ShardedRdds() {
    }

    /** Training shards per {@link ShardPlan}: position i of the global order goes to worker i mod W. */
    public static JavaRDD<Shard> training(JavaSparkContext sc, DataSource source, int workers, int maxExamples,
                                          long seed, boolean shuffle) {
        return perWorker(sc, workers).map(rank -> {
            Examples all = source.train();
            int[] order = ShardPlan.globalOrder(all.count(), maxExamples, seed, shuffle);
            return new Shard(rank, all.subset(ShardPlan.shardIndices(order, workers, rank)));
        }).persist(StorageLevel.MEMORY_AND_DISK());
    }

    /** Test shards: the first {@code maxExamples} test examples (all when 0), i to worker i mod W. */
    public static JavaRDD<Shard> test(JavaSparkContext sc, DataSource source, int workers, int maxExamples) {
        return perWorker(sc, workers).map(rank -> {
            Examples all = source.test();
            int[] order = ShardPlan.globalOrder(all.count(), maxExamples, 0L, false);
            return new Shard(rank, all.subset(ShardPlan.shardIndices(order, workers, rank)));
        }).persist(StorageLevel.MEMORY_AND_DISK());
    }

    private static JavaRDD<Integer> perWorker(JavaSparkContext sc, int workers) {
        List<Integer> ranks = new ArrayList<>(Collections.nCopies(workers, 0));
        for (int i = 0; i < workers; i++) {
            ranks.set(i, i);
        }
        return sc.parallelize(ranks, workers);
    }
}
