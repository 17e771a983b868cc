package org.syncbn.bench;

import org.syncbn.collective.Collective;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The latency of {@code allReduceSum} as every member sees it: the members run as threads, back
 * to back, so each measured operation is one synchronized step; every member's time of every
 * operation counts.
 */
final class AllReduceLatencies {
    private AllReduceLatencies() {
    }

    /** Per-operation nanoseconds of every member after {@code warmup} operations, pooled and sorted. */
    static long[] of(List<? extends Collective> members, int n, int iterations, int warmup) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(members.size());
        try {
            List<Future<long[]>> runs = new ArrayList<>();
            for (Collective m : members) {
                runs.add(pool.submit(() -> {
                    double[] data = new double[n];
                    Arrays.fill(data, m.rank() + 0.5);
                    long[] times = new long[iterations];
                    for (int i = 0; i < warmup + iterations; i++) {
                        long t0 = System.nanoTime();
                        m.allReduceSum(data);
                        if (i >= warmup) {
                            times[i - warmup] = System.nanoTime() - t0;
                        }
                    }
                    return times;
                }));
            }
            long[] all = new long[0];
            for (Future<long[]> f : runs) {
                long[] times = f.get();
                long[] merged = Arrays.copyOf(all, all.length + times.length);
                System.arraycopy(times, 0, merged, all.length, times.length);
                all = merged;
            }
            Arrays.sort(all);
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The p-th percentile (0-100) of sorted values, nearest rank. */
    static double percentile(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
