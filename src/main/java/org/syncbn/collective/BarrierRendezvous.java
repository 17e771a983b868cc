package org.syncbn.collective;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.util.TaskCompletionListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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

    static TcpCollective connect(BarrierTaskContext ctx, Duration timeout) {
        return connect(ctx, timeout, ctx::allGather);
    }

    /**
     * The same bootstrap with another way of exchanging the {@code rank@host:port} messages
     * ({@link DriverRendezvous}): {@code exchange} takes this task's message and returns all of them.
     */
    static TcpCollective connect(BarrierTaskContext ctx, Duration timeout,
                                 java.util.function.Function<String, String[]> exchange) {
        int rank = ctx.partitionId();
        String host = advertisedHost();
        ServerSocket server = bind(host);
        TcpCollective collective;
        try {
            String[] published = exchange.apply(rank + "@" + host + ":" + server.getLocalPort());
            collective = TcpCollective.connect(rank, parse(published), server, timeout);
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
     * An ephemeral-port server socket on {@code host}; on every interface if that address is not
     * local (a container advertising its external name), so the advertised address still reaches it.
     */
    static ServerSocket bind(String host) {
        try {
            ServerSocket server = new ServerSocket();
            try {
                server.bind(new InetSocketAddress(host, 0), 64);
            } catch (BindException e) {
                server.close();
                server = new ServerSocket();
                server.bind(new InetSocketAddress(0), 64);
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the collective's server socket on " + host, e);
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

    private static void closeQuietly(ServerSocket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // the socket is being dropped after a failure that is already reported
        }
    }
}
