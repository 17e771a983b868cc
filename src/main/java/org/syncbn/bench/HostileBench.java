package org.syncbn.bench;

import org.deeplearning4j.util.ModelSerializer;
import org.syncbn.collective.CollectiveSecurity;
import org.syncbn.collective.DriverRendezvous;
import org.syncbn.collective.JobSecret;
import org.syncbn.collective.TcpCollective;

import java.io.File;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * The parts of {@code scripts/bench.sh hostile} that need Java; each prints markdown.
 * <ul>
 *   <li>{@code attack <pid> [threads]}: {@link PortAttacker} against every port process {@code pid}
 *       listens on, until it exits; then the attempts by kind and how each ended;</li>
 *   <li>{@code compare <a/model.zip> <b/model.zip>}: whether the two models' parameters are bitwise equal;</li>
 *   <li>{@code costs <W> <C,C,...> <steps per round> <round seconds>}: what authentication costs one round
 *       of a job of W workers with BN layers of C channels: handshakes (every task's rendezvous exchange,
 *       the mesh connect) and the tag of every BN frame (forward all-gather of 2C+1 doubles, backward
 *       all-reduce of 2C, each sent to and received from W-1 peers), measured here, against the round's time.</li>
 * </ul>
 */
public final class HostileBench {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private HostileBench() {
    }

    public static void main(String[] args) throws Exception {
        // the attacker's Spark client is refused thousands of times; each refusal is the expected outcome
        org.apache.logging.log4j.core.config.Configurator.setLevel(
                "org.apache.spark.network.client.TransportClientFactory", org.apache.logging.log4j.Level.OFF);
        switch (args.length > 0 ? args[0] : "") {
            case "attack" -> attack(Long.parseLong(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 4);
            case "compare" -> compare(args[1], args[2]);
            case "costs" -> costs(Integer.parseInt(args[1]), Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt)
                    .toArray(), Integer.parseInt(args[3]), Double.parseDouble(args[4]));
            default -> {
                System.err.println("usage: HostileBench attack <pid> [threads] | compare <a.zip> <b.zip>"
                        + " | costs <W> <C,C,...> <stepsPerRound> <roundSeconds>");
                System.exit(2);
            }
        }
        System.exit(0);
    }

    private static void attack(long pid, int threads) throws Exception {
        long t0 = System.nanoTime();
        PortAttacker attacker = PortAttacker.start(pid, "127.0.0.1", threads);
        ProcessHandle target = ProcessHandle.of(pid).orElseThrow(() -> new IllegalArgumentException("no process " + pid));
        target.onExit().get();
        attacker.close();
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
        System.out.printf(Locale.ROOT, "Attacks on every port process %d listened on (%d ports seen over %.0f s, %d attack"
                + " threads, plus %d idle connections held per port). The attacker's JVM used %.0f s of CPU in those %.0f s"
                + " (%.2f of this machine's %d cores), its start included:%n%n", pid, attacker.portsSeen().size(), seconds,
                threads, 16, cpu, seconds, cpu / seconds, Runtime.getRuntime().availableProcessors());
        System.out.println("| kind | attempts | refused | accepted | held open, unanswered | port gone first |");
        System.out.println("|---|---|---|---|---|---|");
        for (Map.Entry<PortAttacker.Kind, PortAttacker.Tally> e : attacker.tallies().entrySet()) {
            PortAttacker.Tally t = e.getValue();
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %d | %d |%n", e.getKey().name().toLowerCase(Locale.ROOT)
                    .replace('_', ' '), t.attempts(), t.refused(), t.accepted(), t.held(), t.gone());
        }
        System.out.println();
    }

    private static void compare(String a, String b) throws Exception {
        double[] x = ModelSerializer.restoreMultiLayerNetwork(new File(a), false).params().toDoubleVector();
        double[] y = ModelSerializer.restoreMultiLayerNetwork(new File(b), false).params().toDoubleVector();
        int differ = 0;
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            differ += Double.doubleToRawLongBits(x[i]) != Double.doubleToRawLongBits(y[i]) ? 1 : 0;
        }
        boolean equal = x.length == y.length && differ == 0;
        System.out.printf(Locale.ROOT, "parameters bitwise equal: %s (%d parameters, %d differ)%n", equal ? "yes" : "NO",
                x.length, differ + Math.abs(x.length - y.length));
    }

    private static void costs(int workers, int[] channels, int stepsPerRound, double roundSeconds) throws Exception {
        CollectiveSecurity security = new CollectiveSecurity(JobSecret.random(), true);
        long[] exchange = new long[200];
        try (DriverRendezvous r = DriverRendezvous.start("127.0.0.1", TIMEOUT, security)) {
            for (int pass = 0; pass < 2; pass++) {   // the first pass warms up
                for (int i = 0; i < exchange.length; i++) {
                    long t = System.nanoTime();
                    DriverRendezvous.exchange(r.address(), "cost/" + pass + "/" + i, 0, 1, "0@127.0.0.1:1", TIMEOUT, security);
                    exchange[i] = System.nanoTime() - t;
                }
            }
        }
        Arrays.sort(exchange);
        long[] mesh = new long[9];
        for (int k = 0; k < mesh.length; k++) {
            long t = System.nanoTime();
            LoopbackMesh.create(workers, TIMEOUT, security).forEach(TcpCollective::close);
            mesh[k] = System.nanoTime() - t;
        }
        long[] measured = Arrays.copyOfRange(mesh, 1, mesh.length);
        Arrays.sort(measured);
        double exchangeMs = exchange[exchange.length / 2] / 1e6;
        double meshMs = measured[measured.length / 2] / 1e6;
        double handshakeMs = workers * exchangeMs + meshMs;

        double gmacUs = 0;
        double gcmUs = 0;
        int frames = 0;
        for (int c : channels) {
            for (int doubles : new int[] {2 * c + 1, 2 * c}) {   // forward all-gather, backward all-reduce
                double[] us = CollectiveSecurityBench.sealOpenMicros(8 * doubles);
                gmacUs += us[0] * (workers - 1);
                gcmUs += us[1] * (workers - 1);
                frames += workers - 1;
            }
        }
        double gmacMs = gmacUs * stepsPerRound / 1e3;
        double gcmMs = gcmUs * stepsPerRound / 1e3;
        System.out.printf(Locale.ROOT, "Per round of the default job (W = %d, BN layers of %s channels, %d steps per round,"
                        + " %.3f s per round measured above), measured here:%n%n", workers, Arrays.toString(channels),
                stepsPerRound, roundSeconds);
        System.out.println("| cost | per round ms | share of the round |");
        System.out.println("|---|---|---|");
        System.out.printf(Locale.ROOT, "| handshakes: %d rendezvous exchanges (median %.3f ms each, connect and request"
                + " included) + one mesh connect of %d connection(s) (median %.2f ms) | %.2f | %.2f%% |%n", workers,
                exchangeMs, workers * (workers - 1) / 2, meshMs, handshakeMs, 100 * handshakeMs / 1e3 / roundSeconds);
        System.out.printf(Locale.ROOT, "| frame tags (GMAC): %d frames sealed and %d opened per worker and step | %.2f |"
                + " %.2f%% |%n", frames, frames, gmacMs, 100 * gmacMs / 1e3 / roundSeconds);
        System.out.printf(Locale.ROOT, "| the same frames encrypted instead (AES-GCM, collective.encrypt = true) | %.2f |"
                + " %.2f%% |%n%n", gcmMs, 100 * gcmMs / 1e3 / roundSeconds);
    }
}
