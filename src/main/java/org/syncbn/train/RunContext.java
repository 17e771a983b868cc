package org.syncbn.train;

import org.apache.spark.api.java.JavaSparkContext;
import org.syncbn.config.JobSpec;

/**
 * What the driver-side parts of one run share.
 *
 * @param runId    identity of the run (keys the executors' network cache; kept across resumes)
 * @param blueprint the network the workers build
 * @param threads  native threads per worker
 * @param endRound the round the run ends before
 */
record RunContext(JavaSparkContext sc, JobSpec spec, String runId, org.syncbn.network.Blueprint blueprint, int threads,
                  RoundSchedule schedule, int endRound) {}
