package org.syncbn.collective;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Runs one body per member, each on its own thread, as the members of a real job would. */
final class Members {
    /** Generous: only a deadlock gets near it. */
    private static final long JOIN_SECONDS = 60;

    private Members() {
    }

    @FunctionalInterface
    interface Body<T> {
        T run(int rank, Collective member) throws Exception;
    }

    /** What one member's body returned or threw, and how long it took. */
    record Outcome<T>(int rank, T value, Throwable error, long millis) {
        T get() {
            if (error != null) {
                throw new AssertionError("member " + rank + " failed: " + error, error);
            }
            return value;
        }
    }

    static <T> List<Outcome<T>> run(List<? extends Collective> members, Body<T> body) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, members.size()), r -> {
            Thread t = new Thread(r, "test-member");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Outcome<T>>> futures = new ArrayList<>();
            for (int i = 0; i < members.size(); i++) {
                int rank = i;
                Collective m = members.get(i);
                futures.add(pool.submit(() -> {
                    long t0 = System.nanoTime();
                    try {
                        T v = body.run(rank, m);
                        return new Outcome<>(rank, v, null, (System.nanoTime() - t0) / 1_000_000);
                    } catch (Throwable e) {
                        return new Outcome<>(rank, null, e, (System.nanoTime() - t0) / 1_000_000);
                    }
                }));
            }
            List<Outcome<T>> outcomes = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_SECONDS);
            for (int i = 0; i < futures.size(); i++) {
                try {
                    outcomes.add(futures.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (TimeoutException e) {
                    fail("member " + i + " did not finish within " + JOIN_SECONDS + " s: deadlock?");
                } catch (InterruptedException | ExecutionException e) {
                    throw new AssertionError(e);
                }
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Every member's value; fails with the first member's error. */
    static <T> List<T> values(List<Outcome<T>> outcomes) {
        List<T> values = new ArrayList<>();
        for (Outcome<T> o : outcomes) {
            values.add(o.get());
        }
        return values;
    }

    static void assertBitwiseEquals(double[] expected, double[] actual, String message) {
        assertArrayEquals(bits(expected), bits(actual), message);
    }

    static void assertBitwiseEquals(float[] expected, float[] actual, String message) {
        assertArrayEquals(bits(expected), bits(actual), message);
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }

    private static long[] bits(double[] a) {
        long[] b = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Double.doubleToRawLongBits(a[i]);
        }
        return b;
    }
}
