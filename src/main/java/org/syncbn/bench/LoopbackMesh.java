package org.syncbn.bench;

import org.syncbn.collective.CollectiveSecurity;
import org.syncbn.collective.JobSecret;
import org.syncbn.collective.TcpCollective;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * W {@link TcpCollective} members in this JVM on 127.0.0.1 ephemeral ports (tests and benchmarks),
 * built on the public API only: bind W listeners, then connect every rank on its own thread.
 */
public final class LoopbackMesh {
    private LoopbackMesh() {
    }

    /** The members' bound listeners and their addresses, rank r at index r. */
    public record Listeners(List<ServerSocketChannel> channels, List<InetSocketAddress> addresses) {
    }

    /** How one rank joins, given every rank's address and its own listener (which it then owns). */
    @FunctionalInterface
    public interface Joiner {
        TcpCollective join(int rank, List<InetSocketAddress> addresses, ServerSocketChannel listening);
    }

    /** W members under a fresh random secret, frames authenticated, not encrypted. */
    public static List<TcpCollective> create(int size, Duration timeout) {
        return create(size, timeout, new CollectiveSecurity(JobSecret.random(), false));
    }

    public static List<TcpCollective> create(int size, Duration timeout, CollectiveSecurity security) {
        return connect(bind(size), (rank, addresses, listening) ->
                TcpCollective.connect(rank, addresses, listening, timeout, security));
    }

    public static Listeners bind(int size) {
        List<ServerSocketChannel> channels = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        try {
            for (int r = 0; r < size; r++) {
                ServerSocketChannel s = ServerSocketChannel.open();
                channels.add(s);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
                addresses.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.socket().getLocalPort()));
            }
        } catch (IOException e) {
            channels.forEach(LoopbackMesh::closeQuietly);
            throw new UncheckedIOException(e);
        }
        return new Listeners(List.copyOf(channels), List.copyOf(addresses));
    }

    /** Joins every rank at once; on any failure closes the members that did join and rethrows it. */
    public static List<TcpCollective> connect(Listeners listeners, Joiner joiner) {
        int size = listeners.channels().size();
        ExecutorService pool = Executors.newFixedThreadPool(size);
        try {
            List<Future<TcpCollective>> joins = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                int rank = r;
                joins.add(pool.submit(() -> joiner.join(rank, listeners.addresses(), listeners.channels().get(rank))));
            }
            List<TcpCollective> members = new ArrayList<>();
            RuntimeException failure = null;
            for (Future<TcpCollective> f : joins) {
                try {
                    members.add(f.get());
                } catch (ExecutionException e) {
                    failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                }
            }
            if (failure != null) {
                members.forEach(TcpCollective::close);
                throw failure;
            }
            return members;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting a loopback mesh", e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void closeQuietly(ServerSocketChannel s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already failing
        }
    }
}
