package org.syncbn.collective;

import org.apache.spark.SparkEnv;

/**
 * The secret the deprecated entry points without a {@link CollectiveSecurity} use, until every
 * caller passes the job's own: derived from Spark's secret when {@code spark.authenticate} is on
 * (then it is a real secret, the same on the driver and every executor), else from the
 * application id, which is NOT a secret: the protocol and its bounds stay the same, but anyone who
 * learns the id can join. Remove it together with those entry points.
 */
final class TransitionalSecurity {
    private TransitionalSecurity() {
    }

    static CollectiveSecurity fromSparkEnv() {
        SparkEnv env = SparkEnv.get();
        if (env == null) {
            throw new IllegalStateException("no SparkEnv in this JVM: pass the job's CollectiveSecurity");
        }
        org.apache.spark.SecurityManager sm = env.securityManager();
        if (sm.isAuthenticationEnabled() && sm.getSecretKey() != null) {
            return new CollectiveSecurity(JobSecret.derive(sm.getSecretKey()), false);
        }
        org.slf4j.LoggerFactory.getLogger(TransitionalSecurity.class).debug(
                "collective connections use a key derived from the application id: not authenticated");
        return new CollectiveSecurity(JobSecret.derive("syncbn transitional key, not a secret: " + env.conf().getAppId()),
                false);
    }
}
