package org.syncbn.bench;

import org.apache.spark.SecurityManager;
import org.apache.spark.SparkConf;
import org.apache.spark.rpc.RpcAddress;
import org.apache.spark.rpc.RpcEnv;
import scala.Option;

/**
 * A Spark RPC client, built from Spark's own classes, that asks a port for a driver endpoint: what an
 * outsider does before sending the driver commands. With {@code secret} null it does not
 * authenticate; otherwise it runs Spark's authentication with that secret (a wrong one is what a
 * stranger has). Against a driver with {@code spark.authenticate} on, both fail.
 */
public final class SparkRpcProbe implements AutoCloseable {
    /** An endpoint every driver registers. */
    public static final String ENDPOINT = "BlockManagerMaster";
    private final RpcEnv env;

    public SparkRpcProbe(String secret, int timeoutSec) {
        SparkConf conf = new SparkConf(false)
                .set("spark.authenticate", Boolean.toString(secret != null))
                .set("spark.rpc.lookupTimeout", timeoutSec + "s")
                .set("spark.rpc.askTimeout", timeoutSec + "s")
                .set("spark.network.timeout", timeoutSec + "s")
                .set("spark.rpc.io.numConnectionsPerPeer", "1");
        if (secret != null) {
            conf.set("spark.authenticate.secret", secret);
        }
        SecurityManager security = new SecurityManager(conf, Option.empty(),
                org.apache.spark.internal.config.package$.MODULE$.AUTH_SECRET_FILE_DRIVER());
        env = RpcEnv.create("syncbn-probe", "127.0.0.1", 0, conf, security, true);
    }

    /** Whether {@code host:port} hands out a reference to {@link #ENDPOINT} (a driver that lets this client in). */
    public boolean endpointAnswers(String host, int port) {
        try {
            env.setupEndpointRef(new RpcAddress(host, port), ENDPOINT);
            return true;
        } catch (Exception refused) {   // SparkException (checked in Java), thrown undeclared through Scala
            return false;
        }
    }

    @Override
    public void close() {
        env.shutdown();
    }
}
