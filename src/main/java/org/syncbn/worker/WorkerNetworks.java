package org.syncbn.worker;

import org.syncbn.network.Blueprint;
import org.syncbn.network.Network;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The networks of the workers running in this JVM, reused from round to round.
 *
 * <p>The project's one piece of static state, on purpose: a Spark executor has no other place to
 * keep an object between two tasks, and rebuilding a network from JSON every round costs more
 * than a short round's training. Entries are keyed by run, role and rank; the driver releases a
 * run's entries when it ends (in local mode executors share its JVM).
 */
public final class WorkerNetworks {
    private static final ConcurrentHashMap<String, Network> NETWORKS = new ConcurrentHashMap<>();

    private WorkerNetworks() {
    }

    /** The cached network for (run, role, rank), built from {@code blueprint} on first use. */
    public static Network get(String runId, String role, int rank, Blueprint blueprint) {
        return NETWORKS.computeIfAbsent(runId + '/' + role + '/' + rank, k -> blueprint.build());
    }

    /** Drops every network of {@code runId} in this JVM. */
    public static void release(String runId) {
        NETWORKS.keySet().removeIf(k -> k.startsWith(runId + '/'));
    }
}
