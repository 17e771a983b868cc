package org.syncbn.data;

import org.apache.spark.api.java.JavaRDD;

import java.io.Serializable;
import java.util.List;

/**
 * Shapes of a sharded data set, read off its persisted partitions (which also materialises them).
 *
 * @param sizes       examples per shard, by rank
 * @param featureSize features per example
 * @param labelSize   label vector length (classes)
 */
public record ShardInfo(int[] sizes, int featureSize, int labelSize) implements Serializable {

    public static ShardInfo of(JavaRDD<Shard> shards) {
        List<int[]> rows = shards.map(s -> new int[] {s.rank(), s.examples().count(),
                s.examples().featureSize(), s.examples().labelSize()}).collect();
        int[] sizes = new int[rows.size()];
        for (int[] r : rows) {
            sizes[r[0]] = r[1];
        }
        return new ShardInfo(sizes, rows.get(0)[2], rows.get(0)[3]);
    }

    public int total() {
        int t = 0;
        for (int s : sizes) {
            t += s;
        }
        return t;
    }
}
