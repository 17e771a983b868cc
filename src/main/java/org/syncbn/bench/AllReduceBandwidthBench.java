package org.syncbn.bench;

import org.syncbn.collective.CollectiveSecurity;
import org.syncbn.collective.JobSecret;
import org.syncbn.collective.SendPacer;
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
 * same run: at the start, right before each W's cells (the model of those cells), and at the end.
 * Frames encrypted (the job default) and only authenticated, side by side. Then the same on an
 * emulated link: every member's sends paced to R bytes/s ({@link SendPacer}, all its connections
 * together), B one stream through such a link, so the machine's CPUs are no longer the limit and
 * the figure is the algorithm's (pipelining, overlap of the two phases, per-chunk latency).
 * Prints markdown.
 *
 * <p>Args: [maxMegabytes=64] [minSecondsPerCell=1.0] [workers=2,4,8] [pacedMegabytesPerSecond=50,200].
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
        double[] pacedRates = Arrays.stream((args.length > 3 ? args[3] : "50,200").split(","))
                .mapToDouble(r -> Double.parseDouble(r) * 1e6).toArray();
        double before = loopbackStreamBytesPerSecond();
        System.out.printf(Locale.ROOT, "Single-stream loopback copy B = %.2f GB/s (before), %d cores%n%n", before / 1e9,
                Runtime.getRuntime().availableProcessors());
        System.out.println("| W | B GB/s | buffer | encrypted ms | GB/s (n/t) | model ms | % of model | aggregate copy / B"
                + " | authenticated ms | authenticated / encrypted |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        List<double[]> ceilings = new ArrayList<>();   // W, B, A
        for (int w : workers) {
            JobSecret secret = JobSecret.random();
            List<TcpCollective> enc = LoopbackMesh.create(w, TIMEOUT, new CollectiveSecurity(secret, true));
            List<TcpCollective> mac = LoopbackMesh.create(w, TIMEOUT, new CollectiveSecurity(secret, false));
            try {
                // the JIT compiles GHASH and the copy loops to their intrinsics only after a while:
                // interpreted, AES-GCM runs at ~100 MB/s, so measure warm code only
                warmUp(enc, minSeconds * 2);
                warmUp(mac, minSeconds * 2);
                // B again right before this W's cells: on a shared machine the load drifts within a run
                double b = loopbackStreamBytesPerSecond();
                ceilings.add(new double[] {w, b, concurrentStreamsBytesPerSecond(w, 512L << 20)});
                for (long bytes = 64 << 10; bytes <= (long) maxMb << 20; bytes *= 4) {
                    int n = (int) (bytes / Float.BYTES);
                    double tEnc = secondsPerSum(enc, n, minSeconds);
                    double tMac = secondsPerSum(mac, n, minSeconds);
                    double model = 2.0 * (w - 1) / w * bytes / b;
                    // every member moves 2(W-1)/W · n through the kernel: all of them together, against one stream
                    double aggregate = 2.0 * (w - 1) * bytes / tEnc / b;
                    System.out.printf(Locale.ROOT, "| %d | %.2f | %s | %.2f | %.2f | %.2f | %.0f%% | %.2f | %.2f | %.2f |%n", w,
                            b / 1e9, human(bytes), tEnc * 1e3, bytes / tEnc / 1e9, model * 1e3, 100 * model / tEnc, aggregate,
                            tMac * 1e3, tMac / tEnc);
                }
            } finally {
                enc.forEach(TcpCollective::close);
                mac.forEach(TcpCollective::close);
            }
        }
        double after = loopbackStreamBytesPerSecond();
        System.out.printf(Locale.ROOT, "%nSingle-stream loopback copy B = %.2f GB/s (after); each W's model uses the B"
                + " measured right before its cells.%n", after / 1e9);
        // the model gives every member its own link of B; here all members share this machine's
        // cores, and W(W-1) streams at once carry A in all: no all-reduce can beat A / (W·B) of the model
        System.out.printf(Locale.ROOT, "%nThis machine's ceiling: the all-reduce's W(W-1) streams at once, raw (no frames,"
                + " no crypto, no sums), 512 MB in all; A = their bytes per second together; the model's time over the"
                + " time A allows for the same bytes = A / (W B)%n%n");
        System.out.println("| W | streams | B GB/s | A GB/s | ceiling: A / (W B) of the model |");
        System.out.println("|---|---|---|---|---|");
        for (double[] c : ceilings) {
            int w = (int) c[0];
            System.out.printf(Locale.ROOT, "| %d | %d | %.2f | %.2f | %.0f%% |%n", w, w * (w - 1), c[1] / 1e9, c[2] / 1e9,
                    100 * c[2] / (w * c[1]));
        }
        for (double rate : pacedRates) {
            paced(workers, Math.min(maxMb, 16), minSeconds, (long) rate);
        }
    }

    /** The same cells on an emulated link of {@code rate} bytes/s per member (1 MB up to {@code maxMb}). */
    private static void paced(int[] workers, int maxMb, double minSeconds, long rate) throws Exception {
        double b = pacedStreamBytesPerSecond(rate, 64L << 20);
        System.out.printf(Locale.ROOT, "%n## On an emulated link of %.0f MB/s per member%n%n"
                + "Every member's sends paced to %.0f MB/s over all its connections together (SendPacer: a frame occupies"
                + " the link for its bytes / rate after the frames before it); B = one stream through such a link ="
                + " %.1f MB/s; frames encrypted.%n%n", rate / 1e6, rate / 1e6, b / 1e6);
        System.out.println("| W | buffer | ms | model ms | % of model |");
        System.out.println("|---|---|---|---|---|");
        for (int w : workers) {
            CollectiveSecurity security = new CollectiveSecurity(JobSecret.random(), true);
            List<TcpCollective> members = LoopbackMesh.connect(LoopbackMesh.bind(w), (rank, addresses, listening) ->
                    TcpCollective.connectPaced(rank, addresses, listening, TIMEOUT, security, rate));
            try {
                for (long bytes = 1 << 20; bytes <= (long) maxMb << 20; bytes *= 4) {
                    double t = secondsPerSum(members, (int) (bytes / Float.BYTES), minSeconds);
                    double model = 2.0 * (w - 1) / w * bytes / b;
                    System.out.printf(Locale.ROOT, "| %d | %s | %.1f | %.1f | %.0f%% |%n", w, human(bytes), t * 1e3,
                            model * 1e3, 100 * model / t);
                }
            } finally {
                members.forEach(TcpCollective::close);
            }
        }
    }

    /**
     * W(W-1) loopback streams at once, one per ordered pair of members, {@code total} bytes among
     * them, each a writer and a reader thread: their bytes per second together.
     */
    static double concurrentStreamsBytesPerSecond(int w, long total) throws Exception {
        int streams = w * (w - 1);
        long each = total / streams;
        List<ServerSocket> servers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            for (int k = 0; k < streams; k++) {
                ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                servers.add(server);
                threads.add(new Thread(() -> {
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                        s.setTcpNoDelay(true);
                        OutputStream out = s.getOutputStream();
                        byte[] buf = new byte[1 << 16];
                        go.await();
                        for (long sent = 0; sent < each; sent += buf.length) {
                            out.write(buf, 0, (int) Math.min(buf.length, each - sent));
                        }
                    } catch (Exception e) {
                        failed.compareAndSet(null, e);
                    }
                }, "bench-ceiling-writer-" + k));
                threads.add(new Thread(() -> {
                    try (Socket s = server.accept()) {
                        InputStream in = s.getInputStream();
                        byte[] buf = new byte[1 << 16];
                        while (in.read(buf) > 0) {
                            // drain
                        }
                    } catch (IOException e) {
                        failed.compareAndSet(null, e);
                    }
                }, "bench-ceiling-reader-" + k));
            }
            threads.forEach(Thread::start);
            Thread.sleep(200);   // every connection set up before the clock starts
            long t0 = System.nanoTime();
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (failed.get() != null) {
                throw new IllegalStateException("a ceiling stream failed", failed.get());
            }
            return each * streams / seconds;
        } finally {
            for (ServerSocket s : servers) {
                s.close();
            }
        }
    }

    /** One loopback stream whose writer is paced as a member's sends are: 1 MB writes, {@code total} bytes. */
    private static double pacedStreamBytesPerSecond(long rate, long total) throws Exception {
        SendPacer link = new SendPacer(rate);
        return streamOnce(total, buf -> link.take(buf.length));
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
    static double batch(List<TcpCollective> members, float[][] data, int iterations) throws Exception {
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
            rates[k] = streamOnce(512L << 20, buf -> { });
        }
        Arrays.sort(rates);
        return rates[1];
    }

    private interface BeforeWrite {
        void accept(byte[] buf) throws IOException;
    }

    private static double streamOnce(long total, BeforeWrite beforeWrite) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread writer = new Thread(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    byte[] buf = new byte[1 << 20];
                    for (long sent = 0; sent < total; sent += buf.length) {
                        beforeWrite.accept(buf);
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
