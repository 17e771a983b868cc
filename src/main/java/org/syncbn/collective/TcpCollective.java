package org.syncbn.collective;

import org.apache.spark.BarrierTaskContext;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

/**
 * A member of a collective over direct TCP sockets: a full mesh (every pair of members holds one
 * connection, TCP_NODELAY), one round trip per operation. Each message carries its group's tag,
 * the operation's sequence number and its kind, so sub-collectives from {@link #group} share the
 * connections without ever taking each other's messages, and members whose operation sequences
 * diverge fail with both sides named. Every operation is bounded by the timeout: a peer that
 * stalls (or whose machine vanishes) fails it after the timeout, one that closes or whose process
 * dies fails it at once (the OS closes its sockets). Deadlock freedom for any payload size is
 * argued in {@link TcpMesh}.
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
     * {@code listening} this rank's own bound server socket, which this call owns and closes once
     * the mesh is up. Dials lower ranks (retrying until the timeout), accepts higher ranks.
     *
     * @param timeout bound of the connect and of every later operation
     * @throws CollectiveException if the mesh is not complete within the timeout or a peer is not
     *         a compatible member
     */
    public static TcpCollective connect(int rank, List<InetSocketAddress> peers, ServerSocket listening, Duration timeout) {
        return MeshConnector.connect(rank, List.copyOf(peers), listening, timeout).view(0, peers.size());
    }

    /**
     * Joins the collective of a Spark barrier stage as rank {@code ctx.partitionId()}: opens a
     * server socket on this executor's host, publishes its address with a single
     * {@code ctx.allGather} (about 1 s in Spark 3.5: once per stage, never per step) and connects.
     * The collective closes itself when the task ends, so a failed task's peers fail at once.
     */
    public static TcpCollective fromBarrier(BarrierTaskContext ctx, Duration timeout) {
        return BarrierRendezvous.connect(ctx, timeout);
    }

    /**
     * Like {@link #fromBarrier}, but the addresses are exchanged through the driver's
     * {@link DriverRendezvous} at {@code driverAddress} ("host:port") under {@code token} (unique
     * per stage attempt): milliseconds instead of Spark's ~1 s allGather.
     */
    public static TcpCollective fromDriver(BarrierTaskContext ctx, String driverAddress, String token,
                                           Duration timeout) {
        int size = ctx.getTaskInfos().length;
        return BarrierRendezvous.connect(ctx, timeout,
                message -> DriverRendezvous.exchange(driverAddress, token, ctx.partitionId(), size, message, timeout));
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
        return exchange(Op.ALL_GATHER, local);
    }

    @Override
    public double[] allReduceSum(double[] local) {
        return RankOrder.sum(exchange(Op.ALL_REDUCE_SUM, local));
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

    private double[][] exchange(Op op, double[] local) {
        if (closed && !mesh.isClosed()) {
            throw new CollectiveException(mesh.who(offset, size) + ": " + op + " on a closed collective");
        }
        // the sequence number advances only inside the mesh's one-thread-at-a-time section
        return mesh.exchange(offset, size, op, this, local);
    }

    long nextSeq() {
        return ++seq;
    }
}
