package org.syncbn.bench;

import org.syncbn.collective.CollectiveSecurity;
import org.syncbn.collective.JobSecret;
import org.syncbn.collective.TcpCollective;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * All-reduce bandwidth of {@link TcpCollective#allReduceSum(float[])} on loopback, W members as
 * threads of this JVM, against the bandwidth-optimal model {@code 2(W-1)/W · n / B}, with B the
 * throughput of one TCP stream on loopback (one writer thread, one reader thread) measured in the
 * same run: at the start, right before each W's cells (the model of those cells), and at the end. Frames authenticated (the default) and encrypted, side by side.
 * Prints markdown.
 *
 * <p>Args: [maxMegabytes=64] [minSecondsPerCell=1.0] [workers=2,4,8].
 */
public final class AllReduceBandwidthBench {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private AllReduceBandwidthBench() {
    }

    public static void main(String[] args) throws Exception {
        int maxMb = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        double minSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 1.0;
        int[] workers = args.length > 2 ? Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {2, 4, 8};
        double before = loopbackStreamBytesPerSecond();
        System.out.printf(Locale.ROOT, "Single-stream loopback copy B = %.2f GB/s (before), %d cores%n%n", before / 1e9,
                Runtime.getRuntime().availableProcessors());
        System.out.println("| W | B GB/s | buffer | authenticated ms | GB/s (n/t) | model ms | % of model | aggregate copy / B"
                + " | encrypted ms | encrypted / authenticated |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (int w : workers) {
            JobSecret secret = JobSecret.random();
            List<TcpCollective> mac = LoopbackMesh.create(w, TIMEOUT, new CollectiveSecurity(secret, false));
            List<TcpCollective> enc = LoopbackMesh.create(w, TIMEOUT, new CollectiveSecurity(secret, true));
            try {
                // the JIT compiles GHASH and the copy loops to their intrinsics only after a while:
                // interpreted, AES-GCM runs at ~100 MB/s, so measure warm code only
                warmUp(mac, minSeconds * 2);
                warmUp(enc, minSeconds * 2);
                // B again right before this W's cells: on a shared machine the load drifts within a run
                double b = loopbackStreamBytesPerSecond();
                for (long bytes = 64 << 10; bytes <= (long) maxMb << 20; bytes *= 4) {
                    int n = (int) (bytes / Float.BYTES);
                    double tMac = secondsPerSum(mac, n, minSeconds);
                    double tEnc = secondsPerSum(enc, n, minSeconds);
                    double model = 2.0 * (w - 1) / w * bytes / b;
                    // every member moves 2(W-1)/W · n through the kernel: all of them together, against one stream
                    double aggregate = 2.0 * (w - 1) * bytes / tMac / b;
                    System.out.printf(Locale.ROOT, "| %d | %.2f | %s | %.2f | %.2f | %.2f | %.0f%% | %.2f | %.2f | %.2f |%n", w,
                            b / 1e9, human(bytes), tMac * 1e3, bytes / tMac / 1e9, model * 1e3, 100 * model / tMac, aggregate,
                            tEnc * 1e3, tEnc / tMac);
                }
            } finally {
                mac.forEach(TcpCollective::close);
                enc.forEach(TcpCollective::close);
            }
        }
        double after = loopbackStreamBytesPerSecond();
        System.out.printf(Locale.ROOT, "%nSingle-stream loopback copy B = %.2f GB/s (after); each W's model uses the B"
                + " measured right before its cells.%n", after / 1e9);
    }

    private static String human(long bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MB" : (bytes >> 10) + " KB";
    }

    private static void warmUp(List<TcpCollective> members, double seconds) throws Exception {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            secondsPerSum(members, 1 << 20, 0.1);
            secondsPerSum(members, 8 << 10, 0.05);
        }
    }

    /** Seconds per sum of {@code n} floats, every member running back to back: the median of 5 timed batches. */
    static double secondsPerSum(List<TcpCollective> members, int n, double minSeconds) throws Exception {
        float[][] data = new float[members.size()][];
        for (int r = 0; r < members.size(); r++) {
            Random rnd = new Random(r);
            data[r] = new float[n];
            for (int i = 0; i < n; i++) {
                data[r][i] = rnd.nextFloat();
            }
        }
        double once = batch(members, data, 2) / 2;   // warm-up and calibration
        int perSample = (int) Math.max(2, Math.min(200, minSeconds / 5 / Math.max(once, 1e-6)));
        double[] samples = new double[5];
        for (int s = 0; s < samples.length; s++) {
            samples[s] = batch(members, data, perSample) / perSample;
        }
        Arrays.sort(samples);
        return samples[2];
    }

    /** Wall seconds for every member to run {@code iterations} sums of its array. */
    private static double batch(List<TcpCollective> members, float[][] data, int iterations) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(members.size());
        try {
            List<Future<?>> runs = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int r = 0; r < members.size(); r++) {
                TcpCollective m = members.get(r);
                float[] mine = data[r];
                runs.add(pool.submit(() -> {
                    for (int i = 0; i < iterations; i++) {
                        m.allReduceSum(mine);
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * One TCP stream on loopback, as the mesh uses it (TCP_NODELAY, default buffers): a writer
     * thread sends 1 MB writes, a reader thread reads them; the median of three 512 MB transfers.
     */
    static double loopbackStreamBytesPerSecond() throws Exception {
        double[] rates = new double[3];
        for (int k = 0; k < rates.length; k++) {
            rates[k] = streamOnce(512L << 20);
        }
        Arrays.sort(rates);
        return rates[1];
    }

    private static double streamOnce(long total) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread writer = new Thread(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    byte[] buf = new byte[1 << 20];
                    for (long sent = 0; sent < total; sent += buf.length) {
                        out.write(buf);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, "bench-stream-writer");
            writer.start();
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                byte[] buf = new byte[1 << 20];
                long got = 0;
                long t0 = 0;
                for (int k; (k = in.read(buf)) > 0; ) {
                    if (t0 == 0) {
                        t0 = System.nanoTime();
                    }
                    got += k;
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                writer.join();
                return got / seconds;
            }
        }
    }
}
