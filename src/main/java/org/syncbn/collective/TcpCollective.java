package org.syncbn.collective;

import org.apache.spark.BarrierTaskContext;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.List;

/**
 * A member of a collective over direct TCP sockets: a full mesh (every pair of members holds one
 * connection, TCP_NODELAY), authenticated under the job's secret before anything else is read, and
 * every frame authenticated (or encrypted) after that ({@link CollectiveSecurity}). Small arrays
 * take one round trip per operation; large sums take a pipelined reduce-scatter + all-gather that
 * moves 2(W-1)/W of the array per member ({@link ScatterGatherSum}), with bitwise the same result.
 * Arrays travel in their own precision (float stays float).
 *
 * <p>Each frame carries its group's tag, the operation's sequence number and its kind, so
 * sub-collectives from {@link #group} share the connections without ever taking each other's
 * messages, and members whose operation sequences diverge fail with both sides named. Every
 * operation is bounded by the timeout: a peer that stalls (or whose machine vanishes) fails it
 * after the timeout, one that closes or whose process dies fails it at once (the OS closes its
 * sockets).
 *
 * <p>Ranks in messages are global (the rank in the collective {@link #connect} made).
 */
public final class TcpCollective implements Collective {
    private final TcpMesh mesh;
    private final int offset;
    private final int size;
    private final boolean root;
    private long seq;   // touched only inside an operation, which the mesh lets one thread run at a time
    private volatile boolean closed;

    TcpCollective(TcpMesh mesh, int offset, int size) {
        this.mesh = mesh;
        this.offset = offset;
        this.size = size;
        this.root = size == mesh.size;
    }

    /**
     * Joins the collective as {@code rank}: {@code peers.get(r)} is rank r's listening address,
     * {@code listening} this rank's own bound server channel, which this call owns and closes once
     * the mesh is up. Dials lower ranks (retrying until the timeout), lets higher ranks in; every
     * connection authenticates under {@code security}'s secret first, and only members with the
     * same secret, setting and address list are let in.
     *
     * @param timeout bound of the connect and of every later operation
     * @throws CollectiveException if the mesh is not complete within the timeout
     */
    public static TcpCollective connect(int rank, List<InetSocketAddress> peers, ServerSocketChannel listening,
                                        Duration timeout, CollectiveSecurity security) {
        return connect(rank, peers, listening, timeout, security, TcpMesh.Tuning.DEFAULT,
                RefusalLog.toSlf4j("collective rank " + rank));
    }

    /**
     * {@link #connect} with this member's sends paced to {@code sendBytesPerSecond} over all its
     * connections together ({@link SendPacer}): benchmarks emulate a network link slower than the
     * CPUs on loopback with it. Jobs never pace.
     */
    public static TcpCollective connectPaced(int rank, List<InetSocketAddress> peers, ServerSocketChannel listening,
                                             Duration timeout, CollectiveSecurity security, long sendBytesPerSecond) {
        TcpMesh.Tuning d = TcpMesh.Tuning.DEFAULT;
        return connect(rank, peers, listening, timeout, security,
                new TcpMesh.Tuning(d.largeBytes(), d.chunkBytes(), sendBytesPerSecond),
                RefusalLog.toSlf4j("collective rank " + rank));
    }

    static TcpCollective connect(int rank, List<InetSocketAddress> peers, ServerSocketChannel listening, Duration timeout,
                                 CollectiveSecurity security, TcpMesh.Tuning tuning, RefusalLog log) {
        return MeshConnector.connect(rank, List.copyOf(peers), listening, timeout, security, tuning, log)
                .view(0, peers.size());
    }

    /**
     * Joins the collective of a Spark barrier stage as rank {@code ctx.partitionId()}: opens a
     * server socket on the host Spark advertises for this executor, publishes its address with a
     * single {@code ctx.allGather} (about 1 s in Spark 3.5: once per stage, never per step) and
     * connects. The collective closes itself when the task ends, so a failed task's peers fail at once.
     */
    public static TcpCollective fromBarrier(BarrierTaskContext ctx, Duration timeout, CollectiveSecurity security) {
        return BarrierRendezvous.connect(ctx, timeout, security, ctx::allGather);
    }

    /**
     * Like {@link #fromBarrier}, but the addresses are exchanged through the driver's
     * {@link DriverRendezvous} at {@code driverAddress} ("host:port") under {@code token} (unique
     * per stage attempt): milliseconds instead of Spark's ~1 s allGather. The rendezvous must have
     * been started with the same {@code security}.
     */
    public static TcpCollective fromDriver(BarrierTaskContext ctx, String driverAddress, String token, Duration timeout,
                                           CollectiveSecurity security) {
        int size = ctx.getTaskInfos().length;
        return BarrierRendezvous.connect(ctx, timeout, security, message ->
                DriverRendezvous.exchange(driverAddress, token, ctx.partitionId(), size, message, timeout, security));
    }

    @Override
    public int rank() {
        return mesh.rank - offset;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public double[][] allGather(double[] local) {
        Object[] parts = gather(Op.ALL_GATHER, local);
        double[][] out = new double[parts.length][];
        for (int r = 0; r < parts.length; r++) {
            out[r] = (double[]) parts[r];
        }
        return out;
    }

    @Override
    public double[] allReduceSum(double[] local) {
        return (double[]) reduce(Op.ALL_REDUCE_SUM, local);
    }

    @Override
    public float[][] allGather(float[] local) {
        Object[] parts = gather(Op.ALL_GATHER_F32, local);
        float[][] out = new float[parts.length][];
        for (int r = 0; r < parts.length; r++) {
            out[r] = (float[]) parts[r];
        }
        return out;
    }

    @Override
    public float[] allReduceSum(float[] local) {
        return (float[]) reduce(Op.ALL_REDUCE_SUM_F32, local);
    }

    @Override
    public Collective group(int groupSize) {
        Collective trivial = RankOrder.trivialGroup(this, groupSize);
        if (trivial != null) {
            return trivial;
        }
        return mesh.view(offset + rank() / groupSize * groupSize, groupSize);
    }

    /** Closing the collective {@link #connect} made closes every connection; closing a sub-collective only that view. */
    @Override
    public void close() {
        closed = true;
        if (root) {
            mesh.close();
        }
    }

    private Object[] gather(Op op, Object local) {
        requireOpen(op);
        // the sequence number advances only inside the mesh's one-thread-at-a-time section
        return mesh.gather(offset, size, op, this, local);
    }

    private Object reduce(Op op, Object local) {
        requireOpen(op);
        return mesh.reduce(offset, size, op, this, local);
    }

    private void requireOpen(Op op) {
        if (closed && !mesh.isClosed()) {
            throw new CollectiveException(mesh.who(offset, size) + ": " + op + " on a closed collective");
        }
    }

    long nextSeq() {
        return ++seq;
    }
}
