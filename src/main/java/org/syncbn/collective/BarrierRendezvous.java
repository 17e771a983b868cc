package org.syncbn.collective;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.util.TaskCompletionListener;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The once-per-stage bootstrap of a {@link TcpCollective} inside a Spark barrier task: bind, publish
 * {@code rank@host:port} with one {@code allGather}, connect. The rank prefix makes the parse
 * independent of the order Spark returns the messages in.
 */
final class BarrierRendezvous {
    private BarrierRendezvous() {
    }

    /**
     * Binds, publishes this task's {@code rank@host:port} through {@code exchange} (which takes it
     * and returns every task's message: Spark's allGather or the {@link DriverRendezvous}) and connects.
     */
    static TcpCollective connect(BarrierTaskContext ctx, Duration timeout, CollectiveSecurity security,
                                 java.util.function.Function<String, String[]> exchange) {
        int rank = ctx.partitionId();
        String host = advertisedHost();
        ServerSocketChannel server = bind(host);
        TcpCollective collective;
        try {
            String[] published = exchange.apply(rank + "@" + host + ":" + server.socket().getLocalPort());
            collective = TcpCollective.connect(rank, parse(published), server, timeout, security);
        } catch (RuntimeException e) {
            closeQuietly(server);
            throw e;
        }
        ctx.addTaskCompletionListener((TaskCompletionListener) done -> collective.close());
        return collective;
    }

    /** The host Spark advertises for this executor (its block manager's), else this machine's address. */
    static String advertisedHost() {
        SparkEnv env = SparkEnv.get();
        if (env != null && env.blockManager() != null && env.blockManager().blockManagerId() != null) {
            return env.blockManager().blockManagerId().host();
        }
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (IOException e) {
            return InetAddress.getLoopbackAddress().getHostAddress();
        }
    }

    /**
     * An ephemeral-port server channel on {@code host}, never on every interface: an address this
     * machine cannot bind (a container advertising an external name) fails here, naming it, rather
     * than silently exposing the listener on 0.0.0.0.
     */
    static ServerSocketChannel bind(String host) {
        InetSocketAddress address = BindAddress.of(host);
        ServerSocketChannel server = null;
        try {
            server = ServerSocketChannel.open();
            server.bind(address, Limits.LISTEN_BACKLOG);
            return server;
        } catch (IOException e) {
            if (server != null) {
                closeQuietly(server);
            }
            throw new CollectiveException("cannot open the collective's server socket on " + host
                    + " (the address Spark advertises for this executor; set spark.driver.host / SPARK_LOCAL_IP"
                    + " to an address of this machine): " + e, e);
        }
    }

    /** Rank r's address at index r, from the {@code rank@host:port} messages of all tasks. */
    static List<InetSocketAddress> parse(String[] published) {
        InetSocketAddress[] byRank = new InetSocketAddress[published.length];
        for (String m : published) {
            int at = m.indexOf('@');
            int colon = m.lastIndexOf(':');
            if (at <= 0 || colon <= at) {
                throw new IllegalStateException("bad collective address message '" + m + "'");
            }
            int r = Integer.parseInt(m.substring(0, at));
            String host = m.substring(at + 1, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (r < 0 || r >= byRank.length || byRank[r] != null) {
                throw new IllegalStateException("collective address messages do not name each of ranks 0.."
                        + (byRank.length - 1) + " once: " + String.join(", ", published));
            }
            byRank[r] = new InetSocketAddress(host, Integer.parseInt(m.substring(colon + 1)));
        }
        return new ArrayList<>(List.of(byRank));
    }

    private static void closeQuietly(ServerSocketChannel s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // the socket is being dropped after a failure that is already reported
        }
    }
}
