package org.syncbn.collective;

/**
 * The per-step communication of synchronized batch normalization (docs/ARCHITECTURE.md, "Collectives"): one member per
 * worker, every member calling the same operations in the same order.
 *
 * <p>Contract shared by all implementations:
 * <ul>
 *   <li>Results are bitwise identical on every member, and {@link #allReduceSum} adds every
 *       element in the fixed rank order 0, 1, 2, ... in the arrays' own precision, whatever their
 *       size, so a run is reproducible and does not depend on how a caller splits its buffers.</li>
 *   <li>A member uses its collective, and the sub-collectives from {@link #group}, from one thread
 *       at a time; members run the same sequence of operations on each (sub-)collective.
 *       Implementations detect and report a member that calls a different operation.</li>
 *   <li>A peer that closes, dies or does not show up within the implementation's timeout makes
 *       the operation throw {@link CollectiveException}. After that exception this member's
 *       collective is closed (a failed exchange leaves no usable state); the Spark task fails and
 *       Spark retries the barrier stage.</li>
 *   <li>Inputs are copied; callers may reuse their arrays. Returned arrays belong to the caller.</li>
 * </ul>
 */
public interface Collective extends AutoCloseable {

    /** This member's rank within this collective's group, in {@code [0, size())}. */
    int rank();

    /** The number of members of this collective's group. */
    int size();

    /**
     * Every member's array, indexed by rank (this member's own at {@code rank()}).
     *
     * @throws IllegalStateException on every member if the members passed arrays of different
     *         lengths (the message names every rank's length); the collective stays usable
     * @throws CollectiveException if the exchange fails (peer closed or died, timeout)
     */
    double[][] allGather(double[] local);

    /**
     * The element-wise sum of every member's array, added in rank order
     * {@code ((a0 + a1) + a2) + ...}, bitwise identical on every member.
     *
     * @throws IllegalStateException on every member if the arrays differ in length
     * @throws CollectiveException if the exchange fails
     */
    double[] allReduceSum(double[] local);

    /**
     * {@link #allGather(double[])} for floats. This default moves them as doubles (exactly:
     * every float is a double); implementations override it to keep floats on the wire.
     */
    default float[][] allGather(float[] local) {
        double[][] all = allGather(widen(local));
        float[][] out = new float[all.length][];
        for (int r = 0; r < all.length; r++) {
            out[r] = narrow(all[r]);
        }
        return out;
    }

    /**
     * The element-wise sum in float arithmetic, added in rank order {@code ((a0 + a1) + a2) + ...},
     * bitwise identical on every member; lengths and failures as {@link #allReduceSum(double[])}.
     * This default gathers the floats (as doubles, exactly) and adds them here in that order;
     * implementations override it to move floats and only a sum's share of them.
     */
    default float[] allReduceSum(float[] local) {
        float[][] all = allGather(local);
        float[] s = all[0].clone();
        for (int r = 1; r < all.length; r++) {
            for (int i = 0; i < s.length; i++) {
                s[i] += all[r][i];
            }
        }
        return s;
    }

    /**
     * The sub-collective of the {@code groupSize} consecutive ranks {@code [g·G, (g+1)·G)} this
     * member belongs to, with group-local ranks. Sub-collectives never see each other's or the
     * parent's messages. {@code groupSize == size()} returns this collective itself, and
     * {@code groupSize == 1} a trivial local one. Asking twice gives an equivalent collective
     * (the same operation sequence continues).
     *
     * @throws IllegalArgumentException if {@code groupSize} does not divide {@code size()}
     */
    Collective group(int groupSize);

    /**
     * Releases this member; its peers' pending and later operations fail promptly. Closing a
     * sub-collective only closes that view; closing the collective it came from closes all.
     * Idempotent.
     */
    @Override
    void close();

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static float[] narrow(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
