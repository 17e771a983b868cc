package org.syncbn.data;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.syncbn.config.JobSpec;

import java.util.Map;

/** A job's training and test data as one persisted shard per worker, whatever the file format. */
public interface ShardSource {
    /** Training shards per {@link ShardPlan}: position i of the seeded global order to worker i mod W. */
    JavaRDD<Shard> training(JavaSparkContext sc, int workers, int maxExamples, long seed, boolean shuffle);

    /** Test shards: the first {@code maxExamples} test examples (all when 0), i to worker i mod W. */
    JavaRDD<Shard> test(JavaSparkContext sc, int workers, int maxExamples);

    /** Content fingerprint of every input (name → SHA-256), for provenance; fails fast on missing files. */
    Map<String, String> fingerprint();

    /** The source that {@code data.format} names; CIFAR files are found in data.dir now (fails fast). */
    static ShardSource of(JobSpec.DataSpec spec) {
        return spec.isTable() ? new TableShardSource(spec) : new FileShardSource(DataSource.of(spec));
    }
}
