package org.syncbn.bench;

import org.syncbn.collective.CollectiveSecurity;
import org.syncbn.collective.DriverRendezvous;
import org.syncbn.collective.JobSecret;
import org.syncbn.collective.TcpCollective;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What the collectives' protection costs, on loopback, in one run: (1) per frame, the JDK
 * primitives as the frame cipher calls them (AES-GCM over the whole frame as authenticated data,
 * i.e. GMAC, for authenticated frames; AES-GCM encryption for encrypted ones) beside HMAC-SHA256,
 * sealing and opening; (2) per task and round, one rendezvous exchange (TCP connect, handshake,
 * request, reply) beside a bare TCP connect and one-byte echo; (3) per round, a whole mesh connect;
 * (4) per step, a BN-sized all-reduce authenticated vs encrypted. Prints markdown.
 *
 * <p>Args: [iterations=300].
 */
public final class CollectiveSecurityBench {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private CollectiveSecurityBench() {
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        System.out.printf(Locale.ROOT, "%d cores, %s%n%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        frames();
        handshakes(iterations);
        meshConnects();
        bnLatency(iterations);
    }

    private static void frames() throws Exception {
        System.out.println("Per frame, seal + open (one sender's and one receiver's work), warm JIT:");
        System.out.println();
        System.out.println("| frame body | GMAC (authenticated) µs | GB/s | AES-GCM (encrypted) µs | GB/s | HMAC-SHA256 µs | GB/s |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int body : new int[] {8 * 1025, 64 << 10, 256 << 10}) {
            double[] us = sealOpenMicros(body);
            System.out.printf(Locale.ROOT, "| %d B | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n", body,
                    us[0], body / us[0] / 1e3, us[1], body / us[1] / 1e3, us[2], body / us[2] / 1e3);
        }
        System.out.println();
    }

    /**
     * Seal + open of one frame with a {@code body}-byte payload and a 32-byte header, in µs, warm:
     * {GMAC (AES-GCM over the whole frame as authenticated data: an authenticated frame), AES-GCM
     * encryption of the body (an encrypted frame), HMAC-SHA256 (for comparison)}.
     */
    static double[] sealOpenMicros(int body) throws Exception {
        SecretKeySpec aes = new SecretKeySpec(new byte[32], "AES");
        Mac hmac = Mac.getInstance("HmacSHA256");
        hmac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
        Cipher seal = Cipher.getInstance("AES/GCM/NoPadding");
        Cipher open = Cipher.getInstance("AES/GCM/NoPadding");
        long[] counter = {0};
        byte[] buf = new byte[32 + body + 16];
        double[] us = new double[3];
        for (int pass = 0; pass < 2; pass++) {   // the first pass only warms up
            int it = (int) Math.max(200, (400L << 20) / body);
            long t = System.nanoTime();
            for (int i = 0; i < it; i++) {
                GCMParameterSpec iv = iv(counter[0]++);
                seal.init(Cipher.ENCRYPT_MODE, aes, iv);
                seal.updateAAD(buf, 0, 32 + body);
                seal.doFinal(buf, 32 + body, 0, buf, 32 + body);
                open.init(Cipher.DECRYPT_MODE, aes, iv);
                open.updateAAD(buf, 0, 32 + body);
                open.doFinal(buf, 32 + body, 16, buf, 32 + body);
            }
            us[0] = (System.nanoTime() - t) / 1e3 / it;
            t = System.nanoTime();
            for (int i = 0; i < it; i++) {
                GCMParameterSpec iv = iv(counter[0]++);
                seal.init(Cipher.ENCRYPT_MODE, aes, iv);
                seal.updateAAD(buf, 0, 32);
                seal.doFinal(buf, 32, body, buf, 32);
                open.init(Cipher.DECRYPT_MODE, aes, iv);
                open.updateAAD(buf, 0, 32);
                open.doFinal(buf, 32, body + 16, buf, 32);
            }
            us[1] = (System.nanoTime() - t) / 1e3 / it;
            t = System.nanoTime();
            for (int i = 0; i < it; i++) {
                hmac.update(buf, 0, 32 + body);
                byte[] tag = hmac.doFinal();
                hmac.update(buf, 0, 32 + body);
                if (!MessageDigest.isEqual(tag, hmac.doFinal())) {
                    throw new IllegalStateException("HMAC differs from itself");
                }
            }
            us[2] = (System.nanoTime() - t) / 1e3 / it;
        }
        return us;
    }

    private static GCMParameterSpec iv(long n) {
        byte[] iv = new byte[12];
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (n >>> (56 - 8 * i));
        }
        return new GCMParameterSpec(128, iv);
    }

    private static void handshakes(int iterations) throws Exception {
        CollectiveSecurity security = new CollectiveSecurity(JobSecret.random(), false);
        long[] exchange = new long[iterations];
        long[] bare = new long[iterations];
        try (DriverRendezvous r = DriverRendezvous.start("127.0.0.1", TIMEOUT, security);
             ServerSocket echo = new ServerSocket(0, 64, InetAddress.getLoopbackAddress())) {
            Thread echoer = new Thread(() -> {
                while (!echo.isClosed()) {
                    try (Socket s = echo.accept()) {
                        s.getOutputStream().write(s.getInputStream().read());
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "bench-echo");
            echoer.setDaemon(true);
            echoer.start();
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < iterations; i++) {
                    long t = System.nanoTime();
                    DriverRendezvous.exchange(r.address(), "bench/" + pass + "/" + i, 0, 1, "0@127.0.0.1:1", TIMEOUT, security);
                    exchange[i] = System.nanoTime() - t;
                    t = System.nanoTime();
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), echo.getLocalPort())) {
                        s.setTcpNoDelay(true);
                        OutputStream out = s.getOutputStream();
                        InputStream in = s.getInputStream();
                        out.write(1);
                        in.read();
                    }
                    bare[i] = System.nanoTime() - t;
                }
            }
        }
        Arrays.sort(exchange);
        Arrays.sort(bare);
        System.out.println("Per task and round: one rendezvous exchange (connect, handshake, request, reply; a meeting of one)"
                + " beside a bare TCP connect + one-byte echo:");
        System.out.println();
        System.out.println("| | median µs | p90 µs |");
        System.out.println("|---|---|---|");
        System.out.printf(Locale.ROOT, "| rendezvous exchange | %.0f | %.0f |%n", AllReduceLatencies.percentile(exchange, 50) / 1e3, AllReduceLatencies.percentile(exchange, 90) / 1e3);
        System.out.printf(Locale.ROOT, "| bare connect + echo | %.0f | %.0f |%n", AllReduceLatencies.percentile(bare, 50) / 1e3, AllReduceLatencies.percentile(bare, 90) / 1e3);
        System.out.printf(Locale.ROOT, "| difference (handshake, framing, meeting) | %.0f | |%n%n",
                (AllReduceLatencies.percentile(exchange, 50) - AllReduceLatencies.percentile(bare, 50)) / 1e3);
    }

    private static void meshConnects() {
        System.out.println("Per round: a whole mesh connect (W(W-1)/2 authenticated connections), median of 7:");
        System.out.println();
        System.out.println("| W | connections | authenticated ms | encrypted ms |");
        System.out.println("|---|---|---|---|");
        for (int w : new int[] {2, 4, 8}) {
            double[] ms = new double[2];
            for (int e = 0; e < 2; e++) {
                CollectiveSecurity security = new CollectiveSecurity(JobSecret.random(), e == 1);
                long[] t = new long[8];
                for (int k = 0; k < t.length; k++) {
                    long t0 = System.nanoTime();
                    LoopbackMesh.create(w, TIMEOUT, security).forEach(TcpCollective::close);
                    t[k] = System.nanoTime() - t0;
                }
                long[] measured = Arrays.copyOfRange(t, 1, t.length);   // the first one warms up
                Arrays.sort(measured);
                ms[e] = measured[measured.length / 2] / 1e6;
            }
            System.out.printf(Locale.ROOT, "| %d | %d | %.1f | %.1f |%n", w, w * (w - 1) / 2, ms[0], ms[1]);
        }
        System.out.println();
    }

    private static void bnLatency(int iterations) throws Exception {
        System.out.println("Per step: allReduceSum of a BN payload, every member's every operation, after 200 warm-up:");
        System.out.println();
        System.out.println("| W | doubles | authenticated median µs | p99 µs | encrypted median µs | p99 µs |");
        System.out.println("|---|---|---|---|---|---|");
        for (int w : new int[] {2, 4, 8}) {
            for (int n : new int[] {129, 1025}) {
                double[][] cells = new double[2][];
                for (int e = 0; e < 2; e++) {
                    List<TcpCollective> members = LoopbackMesh.create(w, TIMEOUT, new CollectiveSecurity(JobSecret.random(), e == 1));
                    try {
                        long[] t = AllReduceLatencies.of(members, n, iterations, 200);
                        cells[e] = new double[] {AllReduceLatencies.percentile(t, 50) / 1e3, AllReduceLatencies.percentile(t, 99) / 1e3};
                    } finally {
                        members.forEach(TcpCollective::close);
                    }
                }
                System.out.printf(Locale.ROOT, "| %d | %d | %.0f | %.0f | %.0f | %.0f |%n", w, n, cells[0][0], cells[0][1],
                        cells[1][0], cells[1][1]);
            }
        }
    }
}
