package org.syncbn.bn;

import org.syncbn.testing.SyncBnNets;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.syncbn.collective.Collective;
import org.syncbn.collective.InProcessCollective;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inference mode never communicates and is DL4J's BN on the running statistics (so an example's
 * output does not depend on the rest of its batch); training mode normalises with the statistics
 * of every worker's batch.
 */
class SyncBnInferenceTest {

    /** A collective that must never be used. */
    static final class ThrowingCollective implements Collective {
        @Override
        public int rank() {
            throw new AssertionError("inference called rank()");
        }

        @Override
        public int size() {
            throw new AssertionError("inference called size()");
        }

        @Override
        public double[][] allGather(double[] local) {
            throw new AssertionError("inference called allGather");
        }

        @Override
        public double[] allReduceSum(double[] local) {
            throw new AssertionError("inference called allReduceSum");
        }

        @Override
        public Collective group(int groupSize) {
            throw new AssertionError("inference called group");
        }

        @Override
        public void close() {
            throw new AssertionError("inference called close");
        }
    }

    private static DataSet batch(String kind, int n, Random rnd) {
        return batch(kind, n, rnd, 0.5, 2);
    }

    /** Features with the given mean shift and scale (so different batches have different statistics). */
    private static DataSet batch(String kind, int n, Random rnd, double shift, double scale) {
        long[] shape = kind.equals("dense") ? new long[] {n, 6} : new long[] {n, 2, 4, 4};
        int len = kind.equals("dense") ? n * 6 : n * 32;
        double[] f = new double[len];
        for (int i = 0; i < len; i++) {
            f[i] = rnd.nextGaussian() * scale + shift;
        }
        double[] l = new double[n * 3];
        for (int i = 0; i < n; i++) {
            l[i * 3 + rnd.nextInt(3)] = 1;
        }
        return new DataSet(Nd4j.create(f, shape, DataType.DOUBLE), Nd4j.create(l, new long[] {n, 3}, DataType.DOUBLE));
    }

    /** A SyncBN network (W=1) trained a few steps, so its running statistics are not the initial ones. */
    private static MultiLayerNetwork trained(String kind) {
        MultiLayerNetwork init = new MultiLayerNetwork(SyncBnExactnessTest.reference(kind));
        init.init();
        MultiLayerNetwork net = BnConversion.toSync(init, 0);
        Random rnd = new Random(5);
        for (int i = 0; i < 3; i++) {
            net.fit(batch(kind, 8, rnd));
        }
        return net;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dense", "conv"})
    void inferenceNeverCommunicatesAndEqualsDl4jBatchNormWithTheSameParameters(String kind) {
        MultiLayerNetwork net = trained(kind);
        MultiLayerNetwork standard = BnConversion.toStandard(net);
        SyncBnNets.attach(net, new ThrowingCollective());
        assertEquals(2, SyncBnNets.layers(net).size());

        INDArray x = batch(kind, 7, new Random(9)).getFeatures();
        INDArray y = net.output(x, false);
        BnConversionAndJsonTest.assertBitwise(standard.output(x, false), y, "inference output vs DL4J BN");
        List<INDArray> acts = net.feedForward(x, false);
        List<INDArray> ref = standard.feedForward(x, false);
        for (int i = 0; i < acts.size(); i++) {
            BnConversionAndJsonTest.assertBitwise(ref.get(i), acts.get(i), "inference activations of layer " + (i - 1));
        }
        double score = net.score(batch(kind, 7, new Random(9)), false);
        assertEquals(standard.score(batch(kind, 7, new Random(9)), false), score, 0.0, "inference score");

        // an example's inference output does not depend on the other examples of its batch
        for (int i = 0; i < x.size(0); i++) {
            INDArray alone = net.output(x.get(NDArrayIndex.interval(i, i + 1)), false);
            INDArray inBatch = y.get(NDArrayIndex.interval(i, i + 1));
            assertTrue(maxDiff(inBatch, alone) <= 1e-12, "example " + i + " alone vs in its batch: "
                    + maxDiff(inBatch, alone));
        }
        INDArray shuffled = Nd4j.concat(0, x.get(NDArrayIndex.interval(3, 7)), batch(kind, 5, new Random(1)).getFeatures());
        double d = maxDiff(y.get(NDArrayIndex.interval(3, 7)), net.output(shuffled, false).get(NDArrayIndex.interval(0, 4)));
        assertTrue(d <= 1e-12, "examples 3..6 next to other examples: " + d);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dense", "conv"})
    void trainingModeOutputDependsOnTheOtherWorkersBatch(String kind) throws Exception {
        MultiLayerConfiguration conf = BnConversion.toSync(SyncBnExactnessTest.reference(kind), 0);
        MultiLayerNetwork first = new MultiLayerNetwork(conf.clone());
        first.init();
        Random rnd = new Random(31);
        INDArray mine = batch(kind, 4, rnd).getFeatures();
        INDArray otherA = batch(kind, 3, rnd, 0.5, 2).getFeatures();
        INDArray otherB = batch(kind, 3, rnd, -1.5, 0.5).getFeatures();

        INDArray withA = trainingOutput(conf, first.params(), mine, otherA);
        INDArray withA2 = trainingOutput(conf, first.params(), mine, otherA);
        INDArray withB = trainingOutput(conf, first.params(), mine, otherB);
        BnConversionAndJsonTest.assertBitwise(withA, withA2, "same batches, same training-mode output");
        double max = maxDiff(withA, withB);
        assertTrue(max > 1e-3, "worker 0's training-mode output did not change with worker 1's batch (max diff "
                + max + ")");

        // and it is not worker 0's output on its own batch (it does use the other batch)
        MultiLayerNetwork alone = new MultiLayerNetwork(conf.clone());
        alone.init(first.params().dup(), true);
        INDArray local = alone.feedForward(mine, true).get(alone.getnLayers());
        double diff = maxDiff(withA, local);
        assertTrue(diff > 1e-3, "training-mode output equals the local-only one (max diff " + diff + ")");
    }

    static double maxDiff(INDArray expected, INDArray actual) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()));
        double[] e = SyncBnExactnessTest.flat(expected);
        double[] a = SyncBnExactnessTest.flat(actual);
        double max = 0;
        for (int i = 0; i < e.length; i++) {
            max = Math.max(max, Math.abs(e[i] - a[i]));
        }
        return max;
    }

    /** Worker 0's final training-mode output with a 2-worker in-process collective. */
    private static INDArray trainingOutput(MultiLayerConfiguration conf, INDArray params, INDArray mine, INDArray other)
            throws Exception {
        List<Collective> coll = InProcessCollective.create(2, Duration.ofSeconds(30));
        List<MultiLayerNetwork> nets = List.of(new MultiLayerNetwork(conf.clone()), new MultiLayerNetwork(conf.clone()));
        for (int k = 0; k < 2; k++) {
            nets.get(k).init(params.dup(), true);
            SyncBnNets.attach(nets.get(k), coll.get(k));
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<INDArray> out = SyncBnExactnessTest.onAll(pool, 2,
                    (k, n) -> n.feedForward(k == 0 ? mine : other, true).get(n.getnLayers()), nets);
            return out.get(0);
        } finally {
            pool.shutdownNow();
            coll.forEach(Collective::close);
        }
    }
}
