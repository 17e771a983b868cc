package org.syncbn.bn;

import org.syncbn.testing.SyncBnNets;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.collective.Collective;
import org.syncbn.collective.LocalCollective;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** SyncBN talks exactly once per BN layer per direction per training step, and never in inference. */
class SyncBnCommunicationTest {

    /** Counts the operations it forwards to a local collective. */
    private static final class Counting implements Collective {
        private final Collective inner = new LocalCollective();
        int gathers;
        int reduces;

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
            gathers++;
            return inner.allGather(local);
        }

        @Override
        public double[] allReduceSum(double[] local) {
            reduces++;
            return inner.allReduceSum(local);
        }

        @Override
        public Collective group(int groupSize) {
            return this;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void oneForwardGatherAndOneBackwardReducePerBnLayerPerStepAndNoneInInference() {
        MultiLayerNetwork net = new MultiLayerNetwork(BnConversion.toSync(SyncBnExactnessTest.reference("dense"), 0));
        net.init();
        Counting counting = new Counting();
        SyncBnNets.attach(net, counting);
        DataSet batch = new DataSet(Nd4j.rand(DataType.DOUBLE, 5, 6), Nd4j.eye(3).castTo(DataType.DOUBLE).getRows(0, 1, 2, 0, 1));
        for (int step = 1; step <= 3; step++) {
            net.fit(batch);
            assertEquals(2 * step, counting.gathers, "forward all-gathers after " + step + " steps (2 BN layers)");
            assertEquals(2 * step, counting.reduces, "backward all-reduces after " + step + " steps (2 BN layers)");
        }
        net.output(batch.getFeatures(), false);
        net.score(batch, false);
        assertEquals(6, counting.gathers);
        assertEquals(6, counting.reduces);
    }
}
