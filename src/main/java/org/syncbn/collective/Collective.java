package org.syncbn.collective;

/**
 * The per-step communication of synchronized batch normalization (DESIGN.md §5): one member per
 * worker, every member calling the same operations in the same order.
 *
 * <p>Contract shared by all implementations:
 * <ul>
 *   <li>Results are bitwise identical on every member, and {@link #allReduceSum} adds in the fixed
 *       rank order 0, 1, 2, ... so a run is reproducible.</li>
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
}
