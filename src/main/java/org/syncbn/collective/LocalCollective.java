package org.syncbn.collective;

/** The collective of one member: every operation returns (a copy of) the input. */
public final class LocalCollective implements Collective {
    private volatile boolean closed;

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public int size() {
        return 1;
    }

    @Override
    public double[][] allGather(double[] local) {
        requireOpen(Op.ALL_GATHER);
        return new double[][] {local.clone()};
    }

    @Override
    public double[] allReduceSum(double[] local) {
        requireOpen(Op.ALL_REDUCE_SUM);
        return local.clone();
    }

    @Override
    public float[][] allGather(float[] local) {
        requireOpen(Op.ALL_GATHER_F32);
        return new float[][] {local.clone()};
    }

    @Override
    public float[] allReduceSum(float[] local) {
        requireOpen(Op.ALL_REDUCE_SUM_F32);
        return local.clone();
    }

    @Override
    public Collective group(int groupSize) {
        RankOrder.requireDivides(groupSize, 1);
        return this;
    }

    @Override
    public void close() {
        closed = true;
    }

    private void requireOpen(Op op) {
        if (closed) {
            throw new CollectiveException("rank 0: " + op + " on a closed collective");
        }
    }
}
