package org.syncbn.bn;

import org.syncbn.testing.SyncBnNets;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.syncbn.collective.Collective;
import org.syncbn.collective.InProcessCollective;
import org.syncbn.network.Network;
import org.syncbn.network.ParamLayout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two non-global BN modes against DL4J's own BatchNormalization (double precision):
 * {@code group:G} is sync inside each group of G consecutive workers, {@code ghost:g} is local BN
 * on each virtual batch of g examples, with the running statistics updated once per virtual
 * batch, in order.
 */
class BnModesTest {
    private static final double TOL = 1e-9;
    /** Running statistics: a few roundings of the same arithmetic. */
    private static final double STATS_TOL = 1e-12;

    private static DataSet batch(String kind, int n, Random rnd) {
        long[] shape = kind.equals("dense") ? new long[] {n, 6}
                : kind.equals("convNHWC") ? new long[] {n, 5, 4, 2} : new long[] {n, 2, 4, 4};
        int len = kind.equals("dense") ? n * 6 : kind.equals("convNHWC") ? n * 40 : n * 32;
        double[] f = new double[len];
        for (int i = 0; i < len; i++) {
            f[i] = rnd.nextGaussian() * 2 + 0.5 + (i % 3);
        }
        double[] l = new double[n * 3];
        for (int i = 0; i < n; i++) {
            l[i * 3 + rnd.nextInt(3)] = 1;
        }
        return new DataSet(Nd4j.create(f, shape, DataType.DOUBLE), Nd4j.create(l, new long[] {n, 3}, DataType.DOUBLE));
    }

    private static DataSet rows(DataSet ds, long from, long to) {
        return new DataSet(ds.getFeatures().get(NDArrayIndex.interval(from, to)).dup(),
                ds.getLabels().get(NDArrayIndex.interval(from, to)).dup());
    }

    static Stream<Arguments> groupCases() {
        return Stream.of(
                Arguments.of("dense", new int[] {3, 1, 2, 4}),
                Arguments.of("conv", new int[] {2, 1, 3, 2}),
                Arguments.of("convNHWC", new int[] {1, 2, 2, 1}),
                Arguments.of("dense", new int[] {3, 0, 2, 4}));   // an empty worker still joins its group
    }

    @ParameterizedTest(name = "{0} W=4 G=2 b={1}")
    @MethodSource("groupCases")
    void groupModeEqualsDl4jBatchNormOnEachGroupsConcatenatedBatch(String kind, int[] batches) throws Exception {
        int w = batches.length;
        int g = 2;
        MultiLayerConfiguration refConf = SyncBnExactnessTest.reference(kind);
        MultiLayerNetwork init = new MultiLayerNetwork(refConf);
        init.init();
        INDArray params = init.params().dup();
        MultiLayerConfiguration syncConf = BnConversion.toSync(refConf, 0);
        List<Collective> coll = InProcessCollective.create(w, Duration.ofSeconds(30));
        List<MultiLayerNetwork> workers = new ArrayList<>();
        for (int k = 0; k < w; k++) {
            MultiLayerNetwork n = new MultiLayerNetwork(syncConf.clone());
            n.init(params.dup(), true);
            SyncBnNets.attach(n, coll.get(k).group(g));
            workers.add(n);
        }
        Random rnd = new Random(19);
        List<DataSet> parts = new ArrayList<>();
        for (int b : batches) {
            parts.add(b == 0 ? null : batch(kind, b, rnd));
        }
        ParamLayout layout = ParamLayout.of(Network.of(init));
        ExecutorService pool = Executors.newFixedThreadPool(w);
        try {
            List<List<INDArray>> acts = SyncBnExactnessTest.onAll(pool, w, (k, n) -> {
                if (parts.get(k) == null) {
                    SyncBnNets.sitOutForward(n, coll.get(k).group(g));
                    return null;
                }
                return n.feedForward(parts.get(k).getFeatures(), true);
            }, workers);
            // copied at once: the gradient is a view of the network's gradient array, which fit() reuses
            List<Pair<double[], INDArray>> grads = SyncBnExactnessTest.onAll(pool, w, (k, n) -> {
                if (parts.get(k) == null) {
                    // on a copy: an empty worker applies the running-statistics update itself
                    SyncBnNets.sitOutStep(n.clone(), coll.get(k).group(g));
                    return null;
                }
                Pair<Gradient, INDArray> p = n.calculateGradients(parts.get(k).getFeatures(), parts.get(k).getLabels(),
                        null, null);
                return new Pair<>(p.getFirst().gradient().toDoubleVector(), p.getSecond().dup());
            }, workers);
            SyncBnExactnessTest.onAll(pool, w, (k, n) -> {
                if (parts.get(k) == null) {
                    SyncBnNets.sitOutStep(n, coll.get(k).group(g));
                } else {
                    n.fit(parts.get(k));
                }
                return null;
            }, workers);

            for (int group = 0; group < w / g; group++) {
                MultiLayerNetwork ref = new MultiLayerNetwork(refConf.clone());
                ref.init(params.dup(), true);
                DataSet all = DataSet.merge(parts.subList(group * g, group * g + g).stream()
                        .filter(p -> p != null).toList());
                List<INDArray> refActs = ref.feedForward(all.getFeatures(), true);
                Pair<Gradient, INDArray> refGrad = ref.calculateGradients(all.getFeatures(), all.getLabels(), null, null);
                double[] refG = refGrad.getFirst().gradient().toDoubleVector();
                double[] sum = new double[refG.length];
                long row = 0;
                for (int k = group * g; k < group * g + g; k++) {
                    if (parts.get(k) == null) {
                        continue;
                    }
                    long n = parts.get(k).numExamples();
                    for (int layer = 0; layer < refActs.size(); layer++) {
                        SyncBnExactnessTest.assertClose(
                                SyncBnExactnessTest.flat(refActs.get(layer).get(NDArrayIndex.interval(row, row + n))),
                                SyncBnExactnessTest.flat(acts.get(k).get(layer)),
                                "group " + group + " worker " + k + " activations of layer " + (layer - 1));
                    }
                    SyncBnExactnessTest.assertClose(
                            SyncBnExactnessTest.flat(refGrad.getSecond().get(NDArrayIndex.interval(row, row + n))),
                            SyncBnExactnessTest.flat(grads.get(k).getSecond()),
                            "group " + group + " worker " + k + " input gradient");
                    double[] gk = grads.get(k).getFirst();
                    for (int i = 0; i < gk.length; i++) {
                        if (isRunningStat(layout, i)) {
                            assertEquals(refG[i], gk[i], STATS_TOL, "worker " + k + " running-statistics update " + i);
                        } else {
                            sum[i] += gk[i];
                        }
                    }
                    row += n;
                }
                for (int i = 0; i < refG.length; i++) {
                    if (!isRunningStat(layout, i)) {
                        assertEquals(refG[i], sum[i], TOL, "group " + group + " summed parameter gradient " + i);
                    }
                }
                ref.fit(all);
                double[] refP = ref.params().toDoubleVector();
                for (int k = group * g; k < group * g + g; k++) {
                    double[] pk = workers.get(k).params().toDoubleVector();
                    for (int i = 0; i < pk.length; i++) {
                        if (isRunningStat(layout, i)) {
                            assertEquals(refP[i], pk[i], STATS_TOL, "worker " + k + " running statistic " + i
                                    + " after one step");
                        }
                    }
                }
            }
        } finally {
            pool.shutdownNow();
            coll.forEach(Collective::close);
        }
    }

    static Stream<Arguments> ghostCases() {
        return Stream.of(
                Arguments.of("dense", 4, 12),   // 3 virtual batches of 4
                Arguments.of("dense", 4, 10),   // 4, 4, 2
                Arguments.of("conv", 2, 6),     // 2, 2, 2
                Arguments.of("conv", 3, 7),     // 3, 3, 1
                Arguments.of("convNHWC", 3, 8), // 3, 3, 2 channels-last
                Arguments.of("dense", 5, 3),    // ghost larger than the batch: the whole batch
                Arguments.of("dense", 2, 16),   // 8 virtual batches of 2, normalised in one pass
                Arguments.of("conv", 2, 9),     // 4 of 2 in one pass, then 1
                Arguments.of("convNHWC", 4, 12)); // 3 of 4 channels-last in one pass
    }

    @ParameterizedTest(name = "{0} ghost={1} batch={2}")
    @MethodSource("ghostCases")
    void ghostModeEqualsDl4jBatchNormOnEachVirtualBatch(String kind, int ghost, int n) {
        MultiLayerNetwork ref = new MultiLayerNetwork(SyncBnExactnessTest.reference(kind));
        ref.init();
        MultiLayerNetwork net = BnConversion.toSync(ref, ghost);
        assertEquals(ghost, ((SyncBatchNormalization) net.getLayer(1).conf().getLayer()).getGhostBatchSize());
        ParamLayout layout = ParamLayout.of(Network.of(ref));
        DataSet ds = batch(kind, n, new Random(23 + n));
        List<DataSet> chunks = new ArrayList<>();
        for (int from = 0; from < n; from += ghost) {
            chunks.add(rows(ds, from, Math.min(n, from + ghost)));
        }

        // training-mode outputs of every layer: DL4J BN on each virtual batch separately
        List<INDArray> acts = net.feedForward(ds.getFeatures(), true);
        long row = 0;
        for (DataSet c : chunks) {
            List<INDArray> refActs = ref.feedForward(c.getFeatures(), true);
            long m = c.numExamples();
            for (int layer = 0; layer < refActs.size(); layer++) {
                SyncBnExactnessTest.assertClose(SyncBnExactnessTest.flat(refActs.get(layer)),
                        SyncBnExactnessTest.flat(acts.get(layer).get(NDArrayIndex.interval(row, row + m))),
                        "rows " + row + ".. activations of layer " + (layer - 1));
            }
            row += m;
        }

        // input gradients per virtual batch; parameter gradients summed over the virtual batches
        Pair<Gradient, INDArray> grad = net.calculateGradients(ds.getFeatures(), ds.getLabels(), null, null);
        double[] g = grad.getFirst().gradient().toDoubleVector();
        double[] sum = new double[g.length];
        row = 0;
        for (DataSet c : chunks) {
            Pair<Gradient, INDArray> rg = ref.calculateGradients(c.getFeatures(), c.getLabels(), null, null);
            long m = c.numExamples();
            SyncBnExactnessTest.assertClose(SyncBnExactnessTest.flat(rg.getSecond()),
                    SyncBnExactnessTest.flat(grad.getSecond().get(NDArrayIndex.interval(row, row + m))),
                    "rows " + row + ".. input gradient");
            double[] r = rg.getFirst().gradient().toDoubleVector();
            for (int i = 0; i < r.length; i++) {
                sum[i] += r[i];
            }
            row += m;
        }
        for (int i = 0; i < g.length; i++) {
            if (!isRunningStat(layout, i)) {
                assertEquals(sum[i], g[i], TOL, "parameter gradient " + i);
            }
        }

        // running statistics after one fit: DL4J's update once per virtual batch, in order
        net.fit(ds);
        INDArray refParams = ref.params();   // a view: updating it updates the running statistics
        for (DataSet c : chunks) {
            double[] r = ref.calculateGradients(c.getFeatures(), c.getLabels(), null, null)
                    .getFirst().gradient().toDoubleVector();
            for (int i = 0; i < r.length; i++) {
                if (isRunningStat(layout, i)) {
                    refParams.putScalar(i, refParams.getDouble(i) - r[i]);
                }
            }
        }
        double[] expected = refParams.toDoubleVector();
        double[] actual = net.params().toDoubleVector();
        int checked = 0;
        for (int i = 0; i < actual.length; i++) {
            if (isRunningStat(layout, i)) {
                assertEquals(expected[i], actual[i], STATS_TOL * Math.max(1, Math.abs(expected[i])),
                        "running statistic " + i + " after one step of " + chunks.size() + " virtual batches");
                checked++;
            }
        }
        assertTrue(checked > 0);
    }

    static boolean isRunningStat(ParamLayout layout, int i) {
        for (ParamLayout.BnStatsSlot s : layout.bnStats()) {
            if ((i >= s.meanOffset() && i < s.meanOffset() + s.channels())
                    || (i >= s.varOffset() && i < s.varOffset() + s.channels())) {
                return true;
            }
        }
        return false;
    }
}
