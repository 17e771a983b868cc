package org.syncbn.collective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * W members for W threads of one JVM (tests and single-JVM simulation). Each operation is one
 * generation of a shared slots array ({@link Rendezvous}): members deposit a copy of their array,
 * the last to arrive publishes. Members that do not arrive within the timeout fail the operation;
 * closing a member fails its peers' pending and later operations at once.
 */
public final class InProcessCollective implements Collective {
    private final InProcessWorld world;
    private final Rendezvous rendezvous;
    private final int offset;
    private final int size;
    private final int rank;
    private final boolean root;
    private volatile boolean closed;

    private InProcessCollective(InProcessWorld world, int offset, int size, int rank) {
        this.world = world;
        this.offset = offset;
        this.size = size;
        this.rank = rank;
        this.root = size == world.size;
        this.rendezvous = world.rendezvous(offset, size);
    }

    /** The {@code size} members, member r at index r; an operation waits at most {@code timeout} for its peers. */
    public static List<Collective> create(int size, Duration timeout) {
        if (size < 1) {
            throw new IllegalArgumentException("a collective needs at least one member, got " + size);
        }
        RankOrder.requirePositiveNanos(timeout);
        InProcessWorld world = new InProcessWorld(size, timeout);
        List<Collective> members = new ArrayList<>(size);
        for (int r = 0; r < size; r++) {
            members.add(new InProcessCollective(world, 0, size, r));
        }
        return List.copyOf(members);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public double[][] allGather(double[] local) {
        return (double[][]) RankOrder.deepCopy(ElementType.F64, exchange(Op.ALL_GATHER, local));
    }

    @Override
    public double[] allReduceSum(double[] local) {
        return (double[]) RankOrder.sum(ElementType.F64, exchange(Op.ALL_REDUCE_SUM, local));
    }

    @Override
    public float[][] allGather(float[] local) {
        return (float[][]) RankOrder.deepCopy(ElementType.F32, exchange(Op.ALL_GATHER_F32, local));
    }

    @Override
    public float[] allReduceSum(float[] local) {
        return (float[]) RankOrder.sum(ElementType.F32, exchange(Op.ALL_REDUCE_SUM_F32, local));
    }

    @Override
    public Collective group(int groupSize) {
        Collective trivial = RankOrder.trivialGroup(this, groupSize);
        if (trivial != null) {
            return trivial;
        }
        return new InProcessCollective(world, offset + rank / groupSize * groupSize, groupSize, rank % groupSize);
    }

    @Override
    public void close() {
        closed = true;
        if (root) {
            world.close(offset + rank, "rank " + (offset + rank) + " closed its collective");
        }
    }

    /** The shared, read-only arrays of every member; callers copy what they hand out. */
    private Object[] exchange(Op op, Object local) {
        int global = offset + rank;
        String who = rendezvous.who(rank);
        if (closed || world.isClosed(global)) {
            throw new CollectiveException(who + ": " + op + " on a closed collective");
        }
        world.enter(global, who, op);
        Rendezvous.Result result;
        try {
            result = rendezvous.exchange(rank, op, local);
        } catch (CollectiveException e) {
            // like a failed task: this member is done, and its peers learn it at once
            world.close(global, "rank " + global + " failed: " + e.getMessage());
            throw e;
        } finally {
            world.exit(global);
        }
        RankOrder.requireEqualLengths(op.type, result.parts(), offset, who, op, result.seq());
        return result.parts();
    }
}
