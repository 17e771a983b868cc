package org.syncbn.data;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.Map;

/** Whole-file data (IDX, CIFAR), read inside each worker's own partition ({@link ShardedRdds}). */
public record FileShardSource(DataSource files) implements ShardSource {

    @Override
    public JavaRDD<Shard> training(JavaSparkContext sc, int workers, int maxExamples, long seed, boolean shuffle) {
        return ShardedRdds.training(sc, files, workers, maxExamples, seed, shuffle);
    }

    @Override
    public JavaRDD<Shard> test(JavaSparkContext sc, int workers, int maxExamples) {
        return ShardedRdds.test(sc, files, workers, maxExamples);
    }

    @Override
    public Map<String, String> fingerprint() {
        return files.fingerprint();
    }
}
