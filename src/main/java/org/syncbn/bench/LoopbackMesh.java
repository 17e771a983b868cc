package org.syncbn.bench;

import org.syncbn.collective.TcpCollective;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** W {@link TcpCollective} members in this JVM on 127.0.0.1 ephemeral ports (tests and benchmarks). */
public final class LoopbackMesh {
    private LoopbackMesh() {
    }

    public static List<TcpCollective> create(int size, Duration timeout) {
        List<ServerSocket> servers = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        try {
            for (int r = 0; r < size; r++) {
                ServerSocket s = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
                servers.add(s);
                addresses.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()));
            }
        } catch (IOException e) {
            servers.forEach(LoopbackMesh::closeQuietly);
            throw new UncheckedIOException(e);
        }
        ExecutorService pool = Executors.newFixedThreadPool(size);
        try {
            List<Future<TcpCollective>> joins = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                int rank = r;
                joins.add(pool.submit(() -> TcpCollective.connect(rank, addresses, servers.get(rank), timeout)));
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

    private static void closeQuietly(ServerSocket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already failing
        }
    }
}
