package org.syncbn.bench;

import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.model.JobNetworks;
import org.syncbn.model.ModelInput;
import org.syncbn.network.BnLayer;
import org.syncbn.network.Network;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The cost model of a training step and a round on the worker mesh, fitted to this machine's
 * loopback figures, with its predictions for larger clusters (scripts/bench.sh cost-model).
 *
 * <p>Per member, for W members on their own machines, a link of B bytes/s, a network latency α
 * per collective phase, a CPU cost o per message to or from one peer and c per byte sent (framing,
 * AES-GCM, copies and summation; receiving the same amount is included):
 * <ul>
 *   <li>small collective (BN statistics, full mesh: a frame of s bytes to each peer):
 *       t = α + (W − 1)(o + s·max(c, 1/B));</li>
 *   <li>large all-reduce of n bytes (direct reduce-scatter + all-gather, pieces of n/W in chunks of
 *       64 KiB (the mesh's chunk), k = ⌈n / (W·64 KiB)⌉ messages per peer per phase, pipelined so CPU and link overlap):
 *       t = 2α + 2(W − 1)k·o + 2(W − 1)/W · n · max(c, 1/B);</li>
 *   <li>a step under train.sync = gradients: compute + Σ over BN layers of one small all-gather
 *       (8(2C + 1) bytes) and one small all-reduce (16C bytes) + one large all-reduce of the 4P bytes of
 *       float gradients;</li>
 *   <li>a round's merge (both modes, on the mesh): one large all-reduce of the 8S bytes of state in
 *       double (S = parameters + updater state), then rank 0 sends 8S bytes to the driver. The old
 *       funnel had the driver receive W · 8S bytes per round.</li>
 * </ul>
 * On loopback all W members share this machine's cores, so the fit takes t_loopback = W · work / cores,
 * work = messages · o + bytes · c, by least squares on relative error over the all-reduce bandwidth
 * cells (the encrypted column) and the BN all-reduce latency cells.
 */
public final class SyncCostModel {
    private static final double CHUNK = 64 * 1024;   // TcpMesh.Tuning.DEFAULT.chunkBytes

    private SyncCostModel() {
    }

    /** One measured loopback operation. */
    record Point(int w, double bytes, boolean large, double seconds) {}

    /** Fitted per-member CPU costs: o seconds per peer message, c seconds per byte. */
    record Fit(double o, double c, double rmsRelativeError, int points) {}

    /** A network's sizes: P trainable parameters, S values of state (parameters + updater), BN channels. */
    record Sizes(String name, long p, long s, List<Integer> bnChannels) {}

    static double messages(Point p) {
        if (!p.large) {
            return p.w - 1;
        }
        return 2.0 * (p.w - 1) * Math.ceil(p.bytes / (p.w * CHUNK));
    }

    static double bytesSent(Point p) {
        return p.large ? 2.0 * (p.w - 1) / p.w * p.bytes : (p.w - 1) * p.bytes;
    }

    /** Least squares of t = W/cores · (messages·o + bytes·c), each row weighted by 1/t. */
    static Fit fit(List<Point> points, int cores) {
        double saa = 0, sab = 0, sbb = 0, sat = 0, sbt = 0;
        for (Point p : points) {
            double a = p.w / (double) cores * messages(p) / p.seconds;
            double b = p.w / (double) cores * bytesSent(p) / p.seconds;
            saa += a * a;
            sab += a * b;
            sbb += b * b;
            sat += a;
            sbt += b;
        }
        double det = saa * sbb - sab * sab;
        double o = (sat * sbb - sbt * sab) / det;
        double c = (saa * sbt - sab * sat) / det;
        double sq = 0;
        for (Point p : points) {
            double model = p.w / (double) cores * (messages(p) * o + bytesSent(p) * c);
            sq += Math.pow((model - p.seconds) / p.seconds, 2);
        }
        return new Fit(o, c, Math.sqrt(sq / points.size()), points.size());
    }

    static double small(int w, double bytes, Fit f, double alpha, double linkBytesPerSec) {
        return alpha + (w - 1) * (f.o + bytes * Math.max(f.c, 1 / linkBytesPerSec));
    }

    static double large(int w, double bytes, Fit f, double alpha, double linkBytesPerSec) {
        double k = Math.ceil(bytes / (w * CHUNK));
        return 2 * alpha + 2.0 * (w - 1) * k * f.o + 2.0 * (w - 1) / w * bytes * Math.max(f.c, 1 / linkBytesPerSec);
    }

    static double bnStep(int w, Sizes n, Fit f, double alpha, double link) {
        double t = 0;
        for (int ch : n.bnChannels) {
            t += small(w, 8.0 * (2 * ch + 1), f, alpha, link) + small(w, 16.0 * ch, f, alpha, link);
        }
        return t;
    }

    /** The cells of the first markdown table of {@code file} whose header starts with {@code header}. */
    static List<String[]> tableRows(Path file, String header) throws IOException {
        List<String[]> out = new ArrayList<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith(header)) {
                inTable = true;
            } else if (inTable && !line.startsWith("|")) {
                break;
            } else if (inTable && !line.startsWith("|---")) {
                String[] cells = line.split("\\|");
                for (int i = 0; i < cells.length; i++) {
                    cells[i] = cells[i].trim();
                }
                out.add(cells);
            }
        }
        return out;
    }

    /** The all-reduce bandwidth cells of an allreduce result file: W, buffer, encrypted ms. */
    static List<Point> bandwidthPoints(Path file) throws IOException {
        List<Point> out = new ArrayList<>();
        for (String[] f : tableRows(file, "| W | B GB/s | buffer | encrypted ms")) {
            String[] size = f[3].split(" ");
            double bytes = Double.parseDouble(size[0]) * (size[1].equals("MB") ? 1 << 20 : 1 << 10);
            out.add(new Point(Integer.parseInt(f[1]), bytes, bytes >= 64 * 1024, Double.parseDouble(f[4]) / 1e3));
        }
        return out;
    }

    /** The BN all-reduce latency cells of a security result file: W, doubles, encrypted median µs. */
    static List<Point> latencyPoints(Path file) throws IOException {
        List<Point> out = new ArrayList<>();
        for (String[] f : tableRows(file, "| W | doubles | authenticated median")) {
            out.add(new Point(Integer.parseInt(f[1]), 8 * Double.parseDouble(f[2]), false, Double.parseDouble(f[5]) / 1e6));
        }
        return out;
    }

    static Sizes sizes(String name, JobSpec spec, ModelInput input) {
        Network net = JobNetworks.build(spec, input, 100, org.apache.hadoop.conf.Configuration::new);
        long state = net.params().length + net.updaterState().length;
        long running = 0;
        List<Integer> channels = new ArrayList<>();
        for (BnLayer bn : net.batchNorms()) {
            channels.add((int) bn.conf().getNOut());
            running += 2 * bn.conf().getNOut();
        }
        return new Sizes(name, net.params().length - running, state, channels);
    }

    /**
     * Args: allreduce result file, security result file, cores of the machine they ran on, then
     * (optionally) the measured compute time of one step of the MLP and the ResNet-20 job, in ms.
     */
    public static void main(String[] args) throws IOException {
        List<Point> points = new ArrayList<>(bandwidthPoints(Path.of(args[0])));
        points.addAll(latencyPoints(Path.of(args[1])));
        int cores = Integer.parseInt(args[2]);
        double[] stepMs = {args.length > 3 ? Double.parseDouble(args[3]) : Double.NaN,
                args.length > 4 ? Double.parseDouble(args[4]) : Double.NaN, Double.NaN};
        Fit f = fit(points, cores);
        double alpha = 25e-6;
        System.out.printf(Locale.ROOT, "Fitted on %d loopback points (%s, %s), %d cores: o = %.1f µs per peer message,"
                        + " c = %.2f ns per byte sent (%.2f GB/s per member), rms relative error %.0f%%%n%n",
                f.points, args[0], args[1], cores, f.o * 1e6, f.c * 1e9, 1e-9 / f.c, 100 * f.rmsRelativeError);
        System.out.println("| W | op | bytes | measured ms | model ms |");
        System.out.println("|---|---|---|---|---|");
        for (Point p : points) {
            double model = p.w / (double) cores * (messages(p) * f.o + bytesSent(p) * f.c);
            System.out.printf(Locale.ROOT, "| %d | %s | %.0f | %.3f | %.3f |%n", p.w, p.large ? "all-reduce" : "BN all-reduce",
                    p.bytes, p.seconds * 1e3, model * 1e3);
        }
        List<Sizes> nets = List.of(
                sizes("MLP (fashion-mlp, Adam)", JobSpecLoader.load(Path.of("jobs/fashion-mlp.conf"), List.of()),
                        ModelInput.flat(784, 10)),
                sizes("ResNet-20 (fashion-resnet, Adam)", JobSpecLoader.load(Path.of("jobs/fashion-resnet.conf"),
                        List.of()), ModelInput.image(1, 28, 28, 10)),
                sizes("ResNet-50 (zoo, 224x224x3, 1000 classes, Adam)", JobSpecLoader.load(null,
                        List.of("model.type=zoo", "model.zoo=resnet50", "bn.mode=sync", "data.numClasses=1000")),
                        ModelInput.image(3, 224, 224, 1000)));
        System.out.println();
        System.out.println("| network | P (trained) | S = params + Adam state | BN layers | BN channels |");
        System.out.println("|---|---|---|---|---|");
        for (Sizes n : nets) {
            System.out.printf(Locale.ROOT, "| %s | %,d | %,d | %d | %,d |%n", n.name, n.p, n.s, n.bnChannels.size(),
                    n.bnChannels.stream().mapToInt(Integer::intValue).sum());
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "Predictions, α = %.0f µs per collective phase (assumed: one-way latency of a"
                + " datacenter TCP network plus a wake-up), one member per machine:%n%n", alpha * 1e6);
        System.out.println("| network | link | W | BN per step ms | gradients per step ms | step compute ms (here) |"
                + " gradients mode: comm / step | merge per round ms | driver MB per round, mesh merge | driver MB per round,"
                + " old funnel | old funnel at the driver's link, s |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (int i = 0; i < nets.size(); i++) {
            Sizes n = nets.get(i);
            for (double gbit : new double[] {10, 25}) {
                double link = gbit * 1e9 / 8;
                for (int w : new int[] {16, 64, 256}) {
                    double bn = bnStep(w, n, f, alpha, link);
                    double grad = large(w, 4.0 * n.p, f, alpha, link);
                    double merge = large(w, 8.0 * n.s, f, alpha, link) + 8.0 * n.s / link;
                    double share = Double.isNaN(stepMs[i]) ? Double.NaN : (bn + grad) / (bn + grad + stepMs[i] / 1e3);
                    System.out.printf(Locale.ROOT, "| %s | %.0f Gbit/s | %d | %.2f | %.2f | %s | %s | %.0f | %.1f | %,.0f | %.1f |%n",
                            n.name, gbit, w, bn * 1e3, grad * 1e3, Double.isNaN(stepMs[i]) ? "-" : String.format(Locale.ROOT, "%.0f", stepMs[i]),
                            Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * share), merge * 1e3,
                            8.0 * n.s / 1e6, w * 8.0 * n.s / 1e6, w * 8.0 * n.s / link);
                }
            }
        }
    }
}
