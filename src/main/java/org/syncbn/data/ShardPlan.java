package org.syncbn.data;

/**
 * How a training set is split over W workers and walked in steps; pure arithmetic, no I/O.
 *
 * <p>Global order: one seeded permutation of the example indices (identity without shuffle),
 * truncated to {@code maxExamples}. Position i of that order goes to worker {@code i mod W}, so
 * shards differ in size by at most one. Worker k's local position j holds global position
 * {@code j·W + k}; with batches of b local positions, the union of all workers' batches at step t
 * is global positions {@code [t·W·b, (t+1)·W·b)}: the same set of examples for any W when the data
 * is not shuffled. With shuffle, each worker also permutes its own shard every epoch.
 *
 * <p>All randomness is SplitMix64 seeded from (seed, epoch, rank), so it is identical on every
 * JVM and needs no stored state beyond the seed.
 */
public record ShardPlan(int totalExamples, int workers, int batchPerWorker, long seed, boolean shuffle)
        implements java.io.Serializable {

    public ShardPlan {
        if (totalExamples <= 0 || workers <= 0 || batchPerWorker <= 0) {
            throw new IllegalArgumentException("bad shard plan " + totalExamples + "/" + workers + "/" + batchPerWorker);
        }
    }

    /** Global order of the (truncated) training set: entry i is an index into the data file. */
    public static int[] globalOrder(int fileExamples, int maxExamples, long seed, boolean shuffle) {
        int[] order = identity(fileExamples);
        if (shuffle) {
            permute(order, mix(seed, 0x5eed_0001L));
        }
        int n = maxExamples > 0 ? Math.min(maxExamples, fileExamples) : fileExamples;
        return n == fileExamples ? order : java.util.Arrays.copyOf(order, n);
    }

    /** File indices of worker {@code rank}'s shard, in local-position order. */
    public static int[] shardIndices(int[] globalOrder, int workers, int rank) {
        int size = shardSize(globalOrder.length, workers, rank);
        int[] out = new int[size];
        for (int j = 0; j < size; j++) {
            out[j] = globalOrder[j * workers + rank];
        }
        return out;
    }

    /** Number of examples worker {@code rank} holds out of {@code total}. */
    public static int shardSize(int total, int workers, int rank) {
        return total / workers + (rank < total % workers ? 1 : 0);
    }

    /** Steps in one epoch: enough for the largest shard to be consumed once. */
    public int stepsPerEpoch() {
        long global = (long) workers * batchPerWorker;
        return Math.toIntExact((totalExamples + global - 1) / global);
    }

    /**
     * Local positions worker {@code rank} trains on at step {@code step} of epoch {@code epoch}
     * (possibly fewer than the batch size at the end of an epoch, possibly none).
     */
    public int[] batch(int rank, int epoch, int step) {
        int size = shardSize(totalExamples, workers, rank);
        int from = Math.min(size, step * batchPerWorker);
        int to = Math.min(size, from + batchPerWorker);
        int[] epochOrder = epochOrder(rank, epoch);
        return java.util.Arrays.copyOfRange(epochOrder, from, to);
    }

    /** Worker {@code rank}'s order of its own shard in {@code epoch}. */
    public int[] epochOrder(int rank, int epoch) {
        int[] order = identity(shardSize(totalExamples, workers, rank));
        if (shuffle) {
            permute(order, mix(mix(seed, 0x5eed_0002L + epoch), rank));
        }
        return order;
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    /** Fisher–Yates with SplitMix64. */
    private static void permute(int[] a, long state) {
        long s = state;
        for (int i = a.length - 1; i > 0; i--) {
            s += 0x9E3779B97F4A7C15L;
            int j = (int) Long.remainderUnsigned(splitMix(s), i + 1L);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    static long mix(long a, long b) {
        return splitMix(a ^ splitMix(b + 0x9E3779B97F4A7C15L));
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
