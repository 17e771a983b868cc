package org.syncbn.collective;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A listener whose accept fails for good (the process is out of file descriptors, so the pending
 * connection stays queued and the socket stays "ready") backs off instead of spinning, and accepts
 * again once descriptors are free. Runs in a child JVM with a small descriptor limit.
 */
class AcceptBackoffTest {

    /** The child: a rendezvous, connections until accept fails, then the gate thread's CPU time while it does. */
    public static void main(String[] args) throws Exception {
        List<String> lines = new ArrayList<>(1000);
        Consumer<String> sink = line -> {
            synchronized (lines) {
                lines.add(line);
            }
        };
        CollectiveSecurity security = new CollectiveSecurity(JobSecret.random(), false);
        try (DriverRendezvous r = DriverRendezvous.start("127.0.0.1", Duration.ofSeconds(20), security,
                new RefusalLog("rendezvous", sink, RefusalLog.DEFAULT_INTERVAL_NANOS, System::nanoTime))) {
            String a = r.address();
            InetSocketAddress to = new InetSocketAddress("127.0.0.1", Integer.parseInt(a.substring(a.lastIndexOf(':') + 1)));
            // warm up first: every class this needs is loaded before descriptors run out
            DriverRendezvous.exchange(a, "t/warm/a0.0", 0, 1, "warm", Duration.ofSeconds(10), security);
            try (Socket garbage = new Socket()) {
                garbage.connect(to, 2000);
                garbage.getOutputStream().write(new byte[16]);
                garbage.getInputStream().read();   // refused: the refusal path is loaded too
            }
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long gate = -1;
            for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
                if (t != null && t.getThreadName().equals("syncbn-rendezvous")) {
                    gate = t.getThreadId();
                }
            }
            mx.getThreadCpuTime(gate);
            // every descriptor taken but one, which the client's socket takes: its connection waits in
            // the kernel's queue, and every accept of it fails
            List<java.io.FileInputStream> hogs = new ArrayList<>();
            try {
                while (true) {
                    hogs.add(new java.io.FileInputStream("/dev/null"));
                }
            } catch (IOException full) {
                // EMFILE: as far as it goes
            }
            hogs.remove(hogs.size() - 1).close();
            Socket queued = new Socket();
            queued.connect(to, 2000);
            Thread.sleep(300);
            long cpu0 = mx.getThreadCpuTime(gate);
            long failures0 = r.refusals().count("accept failed");
            Thread.sleep(2000);
            long cpuMs = (mx.getThreadCpuTime(gate) - cpu0) / 1_000_000;
            long failures = r.refusals().count("accept failed") - failures0;
            for (java.io.FileInputStream h : hogs) {
                h.close();   // descriptors free again: the listener accepts again
            }
            queued.close();
            String[] met = DriverRendezvous.exchange(a, "t/r0/a0.0", 0, 1, "alone", Duration.ofSeconds(10), security);
            System.out.println("RESULT cpuMs=" + cpuMs + " acceptFailures=" + failures + " logLines=" + lines.size()
                    + " met=" + met[0]);
        }
    }

    @Test
    void aListenerOutOfFileDescriptorsBacksOffInsteadOfSpinningAndRecovers() throws Exception {
        String cp = System.getProperty("java.class.path");
        List<String> parts = new ArrayList<>();
        for (String p : cp.split(File.pathSeparator)) {
            if (p.endsWith("classes") || p.contains("slf4j-api")) {
                parts.add(p);
            }
        }
        String java = System.getProperty("java.home") + "/bin/java";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "ulimit -n 256 && exec \"$0\" -Xmx256m -cp \"$1\" "
                + AcceptBackoffTest.class.getName(), java, String.join(File.pathSeparator, parts));
        pb.redirectErrorStream(true);
        File out = File.createTempFile("accept-backoff", ".log");
        pb.redirectOutput(out);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child did not finish");
        String log = Files.readString(out.toPath(), StandardCharsets.UTF_8);
        out.delete();
        assertEquals(0, p.exitValue(), log);
        String result = log.lines().filter(l -> l.startsWith("RESULT")).findFirst().orElseThrow(() -> new AssertionError(log));
        long cpuMs = Long.parseLong(result.replaceAll(".*cpuMs=(\\d+).*", "$1"));
        long failures = Long.parseLong(result.replaceAll(".*acceptFailures=(\\d+).*", "$1"));
        long logLines = Long.parseLong(result.replaceAll(".*logLines=(\\d+).*", "$1"));
        // a spin would burn the whole 2 s and fail millions of accepts; the back-off tries about once a second
        assertTrue(cpuMs < 200, "the gate thread used " + cpuMs + " ms of CPU in 2 s: " + result);
        assertTrue(failures >= 1 && failures <= 10, result);
        assertTrue(logLines <= 3, result);
        assertTrue(result.endsWith("met=alone"), result);
    }
}
