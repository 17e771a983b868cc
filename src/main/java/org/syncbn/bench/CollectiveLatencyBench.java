package org.syncbn.bench;

import org.syncbn.collective.Collective;
import org.syncbn.collective.InProcessCollective;
import org.syncbn.collective.TcpCollective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Median and p99 latency of {@code allReduceSum} with BN payloads (2C+1 doubles) for W members as
 * threads of this JVM: over TCP on loopback, and in-process for comparison. Prints a markdown
 * table. Args: [iterations=300] [warmup=50] (per cell, after one longer warm-up per W). Every member's latency of every measured operation
 * counts; members run back to back, so a cell shows the cost of one synchronized step.
 */
public final class CollectiveLatencyBench {
    private static final int[] WORKERS = {2, 4, 8};
    private static final int[] CHANNELS = {32, 64, 128, 256, 512};

    private CollectiveLatencyBench() {
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        Duration timeout = Duration.ofSeconds(30);
        System.out.printf("allReduceSum latency, %d iterations after %d warm-up, %d cores%n%n",
                iterations, warmup, Runtime.getRuntime().availableProcessors());
        System.out.println("| W | C | doubles | TCP median µs | TCP p99 µs | in-process median µs | in-process p99 µs |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int w : WORKERS) {
            List<TcpCollective> tcp = LoopbackMesh.create(w, timeout);
            List<Collective> local = InProcessCollective.create(w, timeout);
            try {
                // JIT and socket warm-up once per mesh, so the first cell is not the slow one
                AllReduceLatencies.of(new ArrayList<>(tcp), 2 * CHANNELS[CHANNELS.length - 1] + 1, 500, 0);
                AllReduceLatencies.of(local, 2 * CHANNELS[CHANNELS.length - 1] + 1, 500, 0);
                for (int c : CHANNELS) {
                    int n = 2 * c + 1;
                    long[] t = AllReduceLatencies.of(new ArrayList<>(tcp), n, iterations, warmup);
                    long[] l = AllReduceLatencies.of(local, n, iterations, warmup);
                    System.out.printf(Locale.ROOT, "| %d | %d | %d | %.0f | %.0f | %.0f | %.0f |%n", w, c, n,
                            AllReduceLatencies.percentile(t, 50) / 1e3, AllReduceLatencies.percentile(t, 99) / 1e3, AllReduceLatencies.percentile(l, 50) / 1e3, AllReduceLatencies.percentile(l, 99) / 1e3);
                }
            } finally {
                tcp.forEach(Collective::close);
                local.forEach(Collective::close);
            }
        }
    }
}
