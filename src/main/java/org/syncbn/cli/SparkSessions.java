package org.syncbn.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.syncbn.config.JobSpec;

/**
 * The Spark context for a job: whatever spark-submit configured, or an embedded local[W] session
 * when the job runs from the command line. A context that already runs in this JVM (an embedding
 * application, the tests) is reused and left running.
 */
final class SparkSessions implements AutoCloseable {
    private static final String OWNER_KEY = "spark.syncbn.sessionOwner";
    private final JavaSparkContext context;
    private final boolean owned;

    private SparkSessions(JavaSparkContext context, boolean owned) {
        this.context = context;
        this.owned = owned;
    }

    static SparkSessions open(JobSpec spec) {
        return open(spec.name(), spec.spark().master(), spec.train().workers(), barrierTimeoutSec(spec));
    }

    /**
     * A context for {@code name}: spark-submit's master if there is one, else {@code master}, else
     * an embedded local[localSlots].
     */
    static SparkSessions open(String name, String master, int localSlots) {
        return open(name, master, localSlots, 0);
    }

    /**
     * {@link #open(String, String, int)}; with {@code barrierTimeoutSec} > 0, a barrier allGather that
     * waits longer than that fails (Spark reads spark.barrier.sync.timeout once, when the context starts).
     */
    static SparkSessions open(String name, String master, int localSlots, int barrierTimeoutSec) {
        String owner = java.util.UUID.randomUUID().toString();
        SparkConf conf = configure(new SparkConf(), name, master, localSlots, barrierTimeoutSec).set(OWNER_KEY, owner);
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(SparkContext.getOrCreate(conf));
        // getOrCreate hands back a context already running in this JVM; only one we started is ours to stop
        boolean owned = owner.equals(sc.getConf().get(OWNER_KEY, ""));
        if (owned) {
            sc.setLogLevel("WARN");
        }
        return new SparkSessions(sc, owned);
    }

    /**
     * What this project sets on {@code conf} (spark-submit's settings and any given ones win):
     * <ul>
     *   <li>without a master from spark-submit, an embedded local[localSlots] whose RPC and block
     *       transfers authenticate ({@code spark.authenticate}): Spark makes a new random secret for
     *       each local context itself, held in memory only, never on a command line or in a log. The
     *       embedded driver listens on 127.0.0.1, so other users of the machine are who this keeps out;</li>
     *   <li>with {@code barrierTimeoutSec} > 0 ({@code collective.rendezvous = barrier}),
     *       {@code spark.barrier.sync.timeout}: a task stuck before the round's allGather fails its
     *       peers within the collective's timeout, not Spark's default of a year.</li>
     * </ul>
     */
    static SparkConf configure(SparkConf conf, String name, String master, int localSlots, int barrierTimeoutSec) {
        conf.setAppName("syncbn-" + name);
        if (!conf.contains("spark.master")) {
            master = master.isEmpty() ? "local[" + localSlots + "]" : master;
            conf.setMaster(master);
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            // Round state travels within one JVM here: compressing it only costs time.
            conf.setIfMissing("spark.broadcast.compress", "false");
            if (master.startsWith("local")) {
                conf.setIfMissing("spark.authenticate", "true");
            }
        }
        if (barrierTimeoutSec > 0) {
            conf.setIfMissing("spark.barrier.sync.timeout", barrierTimeoutSec + "s");
        }
        // A driver that a standalone Worker launched (cluster deploy mode) gets the cluster's secret
        // in its environment, as executors do, but Spark only looks for it in the configuration.
        String secret = System.getenv("_SPARK_AUTH_SECRET");
        if (conf.getBoolean("spark.authenticate", false) && !conf.contains("spark.authenticate.secret")
                && secret != null && !secret.isEmpty()) {
            conf.set("spark.authenticate.secret", secret);
        }
        // Worker results (parameters + updater state, a few MB) come back directly, not through
        // the block manager as "indirect" results (Spark's 1 MB default).
        conf.setIfMissing("spark.task.maxDirectResultSize", "100m");
        return conf;
    }

    /** The collective's timeout when the workers meet through Spark's barrier allGather, else 0. */
    static int barrierTimeoutSec(JobSpec spec) {
        return spec.collective().rendezvous() == JobSpec.Rendezvous.BARRIER ? spec.collective().timeoutSec() : 0;
    }

    JavaSparkContext context() {
        return context;
    }

    /**
     * The SQL session over this context. Built on the context itself: {@code SparkSession.builder().getOrCreate()}
     * would look the context up again and warn "Using an existing SparkContext" on every normal run.
     */
    SparkSession session() {
        return SparkSession.builder().sparkContext(context.sc()).getOrCreate();
    }

    @Override
    public void close() {
        if (owned) {
            context.stop();
        }
    }
}
