package org.syncbn.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.syncbn.config.JobSpec;

/**
 * The Spark context for a job: whatever spark-submit configured, or an embedded local[W] session
 * when the job runs from the command line.
 */
final class SparkSessions {
    private SparkSessions() {
    }

    static JavaSparkContext open(JobSpec spec) {
        SparkConf conf = new SparkConf().setAppName("syncbn-" + spec.name());
        if (!conf.contains("spark.master")) {
            String master = spec.spark().master().isEmpty()
                    ? "local[" + spec.train().workers() + "]" : spec.spark().master();
            conf.setMaster(master);
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
        }
        return new JavaSparkContext(conf);
    }
}
