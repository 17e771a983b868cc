package org.syncbn.train;

import org.apache.spark.BarrierTaskContext;
import org.syncbn.collective.Collective;
import org.syncbn.worker.MeshJoin;
import org.syncbn.worker.RoundState;

import java.util.Arrays;

/**
 * A worker whose backward all-reduce hands it NaN once, as a bit flip or a poisoned peer would: in
 * {@code round}, worker {@code rank}'s all-reduce number {@code sum} (0 = the first of the round; SyncBN
 * runs one per BN layer backward) returns NaN everywhere, so that step's gradients, and then its
 * parameters, are NaN.
 */
record PoisonedSums(int round, int rank, int sum) implements java.io.Serializable {

    record Join(MeshJoin real, PoisonedSums fault) implements MeshJoin {
        @Override
        public Collective join(BarrierTaskContext task, RoundState state) {
            Collective c = real.join(task, state);
            return state.round() == fault.round() && c.rank() == fault.rank() ? new Poisoned(c, fault.sum()) : c;
        }
    }

    private static final class Poisoned implements Collective {
        private final Collective real;
        private int left;

        Poisoned(Collective real, int sum) {
            this.real = real;
            this.left = sum;
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
            return real.allGather(local);
        }

        @Override
        public float[][] allGather(float[] local) {
            return real.allGather(local);
        }

        @Override
        public double[] allReduceSum(double[] local) {
            double[] s = real.allReduceSum(local);
            if (left-- == 0) {
                Arrays.fill(s, Double.NaN);
            }
            return s;
        }

        @Override
        public float[] allReduceSum(float[] local) {
            float[] s = real.allReduceSum(local);
            if (left-- == 0) {
                Arrays.fill(s, Float.NaN);
            }
            return s;
        }

        @Override
        public Collective group(int groupSize) {
            if (groupSize != size()) {
                throw new UnsupportedOperationException("a poisoned worker is only used whole");
            }
            return this;
        }

        @Override
        public void close() {
            real.close();
        }
    }
}
