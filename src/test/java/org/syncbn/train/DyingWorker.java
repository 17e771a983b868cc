package org.syncbn.train;

import org.apache.spark.BarrierTaskContext;
import org.syncbn.collective.Collective;
import org.syncbn.worker.MeshJoin;
import org.syncbn.worker.RoundState;

/**
 * A worker that dies in the middle of training, as a killed executor would: on the first attempt of
 * {@code round}, worker {@code rank} closes its collective's sockets just before its collective
 * operation number {@code afterOps} (0 = before the first), and the operation fails.
 */
record DyingWorker(int round, int rank, int afterOps) implements java.io.Serializable {

    /** Joins as {@code real} does, handing {@link DyingWorker}'s victim a collective that dies. */
    record Join(MeshJoin real, DyingWorker fault) implements MeshJoin {
        @Override
        public Collective join(BarrierTaskContext task, RoundState state) {
            Collective c = real.join(task, state);
            boolean victim = state.round() == fault.round() && state.attempt() == 0 && c.rank() == fault.rank();
            return victim ? new Dying(c, fault.afterOps()) : c;
        }
    }

    /** Counts operations and closes the real member when the count is reached. */
    private static final class Dying implements Collective {
        private final Collective real;
        private int left;

        Dying(Collective real, int ops) {
            this.real = real;
            this.left = ops;
        }

        private void tick() {
            if (left-- == 0) {
                real.close();
            }
        }

        @Override
        public int rank() {
            return real.rank();
        }

        @Override
        public int size() {
            return real.size();
        }

        @Override
        public double[][] allGather(double[] local) {
            tick();
            return real.allGather(local);
        }

        @Override
        public double[] allReduceSum(double[] local) {
            tick();
            return real.allReduceSum(local);
        }

        @Override
        public Collective group(int groupSize) {
            if (groupSize != size()) {
                throw new UnsupportedOperationException("a dying worker is only used whole");
            }
            return this;
        }

        @Override
        public void close() {
            real.close();
        }
    }
}
