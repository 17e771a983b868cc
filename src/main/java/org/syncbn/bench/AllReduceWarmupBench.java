package org.syncbn.bench;

import org.syncbn.collective.CollectiveSecurity;
import org.syncbn.collective.JobSecret;
import org.syncbn.collective.TcpCollective;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The first all-reduces of a fresh JVM: W members (threads of this JVM, loopback mesh, frames
 * encrypted as a job's are by default) sum a float array of the MLP gradient's length again and
 * again, and the mean time per sum of each block of operations is printed, so one can see how long
 * the JIT takes to reach the AES-GCM intrinsics (run it with and without the CompileCommand of
 * conf/spark-defaults.conf: scripts/bench.sh crypto-warmup). One line per block:
 * {@code BLOCK index first last ms-per-sum}.
 *
 * <p>Args: [floats=235531] [blocks=12] [perBlock=25] [workers=2].
 */
public final class AllReduceWarmupBench {
    private AllReduceWarmupBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 235_531;
        int blocks = args.length > 1 ? Integer.parseInt(args[1]) : 12;
        int perBlock = args.length > 2 ? Integer.parseInt(args[2]) : 25;
        int w = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        long t0 = System.nanoTime();
        List<TcpCollective> members = LoopbackMesh.create(w, Duration.ofSeconds(120),
                new CollectiveSecurity(JobSecret.random(), true));
        float[][] data = new float[w][n];
        for (int r = 0; r < w; r++) {
            java.util.Arrays.fill(data[r], r + 0.25f);
        }
        try {
            for (int b = 0; b < blocks; b++) {
                double ms = AllReduceBandwidthBench.batch(members, data, perBlock) * 1e3 / perBlock;
                System.out.printf(Locale.ROOT, "BLOCK %d %d %d %.2f%n", b, b * perBlock + 1, (b + 1) * perBlock, ms);
            }
            System.out.printf(Locale.ROOT, "TOTAL %.0f%n", (System.nanoTime() - t0) / 1e6);
        } finally {
            members.forEach(TcpCollective::close);
        }
    }
}
