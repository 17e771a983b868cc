package org.syncbn.collective;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The interface's float operations, for implementations that only provide the double ones. */
class CollectiveDefaultsTest {

    /** Forwards the double operations only, so the float ones are the interface's defaults. */
    private record DoubleOnly(Collective inner) implements Collective {
        @Override
        public int rank() {
            return inner.rank();
        }

        @Override
        public int size() {
            return inner.size();
        }

        @Override
        public double[][] allGather(double[] local) {
            return inner.allGather(local);
        }

        @Override
        public double[] allReduceSum(double[] local) {
            return inner.allReduceSum(local);
        }

        @Override
        public Collective group(int groupSize) {
            return new DoubleOnly(inner.group(groupSize));
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void theDefaultFloatOperationsGiveTheSameBitsAsFloatsOnTheWire() {
        int w = 4;
        int n = 333;
        List<Collective> members = new ArrayList<>();
        for (Collective c : InProcessCollective.create(w, Duration.ofSeconds(30))) {
            members.add(new DoubleOnly(c));
        }
        try {
            Members.values(Members.run(members, (r, c) -> {
                float[][] all = c.allGather(CollectiveContractTest.floats(r, 1, n));
                assertEquals(w, all.length);
                for (int q = 0; q < w; q++) {
                    Members.assertBitwiseEquals(CollectiveContractTest.floats(q, 1, n), all[q], "slot " + q);
                }
                Members.assertBitwiseEquals(CollectiveContractTest.rankOrderedFloatSum(0, w, 2, n),
                        c.allReduceSum(CollectiveContractTest.floats(r, 2, n)), "sum");
                return null;
            }));
        } finally {
            members.forEach(Collective::close);
        }
    }
}
