package org.syncbn.train;

import org.syncbn.network.Network;
import org.syncbn.network.ParamLayout;
import org.syncbn.worker.StateMerge;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.bn.BnStatistics;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.model.NetworkFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class StateMergeTest {

    private static MultiLayerNetwork net(boolean logStd) {
        JobSpec spec = JobSpecLoader.load(null, List.of("model.hidden=[5,3]", "dtype=double", "bn.useLogStd=" + logStd));
        MultiLayerNetwork net = new MultiLayerNetwork(NetworkFactory.build(spec, 4));
        net.init();
        return net;
    }

    @Test
    void layoutFindsEveryBnLayersRunningStatisticsInTheFlatVector() {
        MultiLayerNetwork net = net(true);
        ParamLayout layout = ParamLayout.of(Network.of(net));
        assertEquals(2, layout.bnStats().size());
        assertEquals(net.numParams(), layout.length());
        for (int i = 0; i < layout.bnStats().size(); i++) {
            ParamLayout.BnStatsSlot slot = layout.bnStats().get(i);
            org.deeplearning4j.nn.api.Layer bn = Network.of(net).batchNorms().get(i).layer();
            INDArray mean = bn.getParam("mean");
            INDArray log10 = bn.getParam("log10stdev");
            mean.assign(Nd4j.linspace(1, slot.channels(), slot.channels()).reshape(mean.shape()));
            log10.assign(Nd4j.linspace(-1, -slot.channels(), slot.channels()).reshape(log10.shape()));
            double[] flat = net.params().toDoubleVector();
            for (int c = 0; c < slot.channels(); c++) {
                assertEquals(c + 1, flat[slot.meanOffset() + c], 1e-12);
                assertEquals(-(c + 1), flat[slot.varOffset() + c], 1e-12);
            }
            assertEquals(true, slot.log10Std());
        }
    }

    @Test
    void mergeAveragesParametersBySamplesAndPoolsRunningVarianceThroughLog10Std() {
        MultiLayerNetwork net = net(true);
        ParamLayout layout = ParamLayout.of(Network.of(net));
        int n = (int) layout.length();
        Random rnd = new Random(3);
        List<StateMerge.Local> results = new ArrayList<>();
        long[] samples = {10, 30, 0};
        for (int k = 0; k < 3; k++) {
            double[] p = new double[n];
            for (int i = 0; i < n; i++) {
                p[i] = rnd.nextGaussian();
            }
            double[] u = {k, 2 * k};
            results.add(new StateMerge.Local(p, u, samples[k]));
        }
        StateMerge.Merged merged = StateMerge.of(results, layout);
        assertArrayEquals(new double[] {0.75, 1.5}, merged.updater(), 1e-15);

        ParamLayout.BnStatsSlot slot = layout.bnStats().get(0);
        for (int i = 0; i < n; i++) {
            boolean stat = false;
            for (ParamLayout.BnStatsSlot s : layout.bnStats()) {
                stat |= (i >= s.meanOffset() && i < s.meanOffset() + s.channels())
                        || (i >= s.varOffset() && i < s.varOffset() + s.channels());
            }
            if (!stat) {
                double expected = 0.25 * results.get(0).params()[i] + 0.75 * results.get(1).params()[i];
                assertEquals(expected, merged.params()[i], 1e-12, "param " + i);
            }
        }
        for (int c = 0; c < slot.channels(); c++) {
            double m0 = results.get(0).params()[slot.meanOffset() + c];
            double m1 = results.get(1).params()[slot.meanOffset() + c];
            double v0 = BnStatistics.log10StdToVar(results.get(0).params()[slot.varOffset() + c]);
            double v1 = BnStatistics.log10StdToVar(results.get(1).params()[slot.varOffset() + c]);
            double mu = 0.25 * m0 + 0.75 * m1;
            double var = 0.25 * (v0 + (m0 - mu) * (m0 - mu)) + 0.75 * (v1 + (m1 - mu) * (m1 - mu));
            assertEquals(mu, merged.params()[slot.meanOffset() + c], 1e-12);
            assertEquals(var, BnStatistics.log10StdToVar(merged.params()[slot.varOffset() + c]), 1e-12 * var);
        }
    }

    @Test
    void identicalWorkersMergeToBitwiseTheSameState() {
        MultiLayerNetwork net = net(true);
        ParamLayout layout = ParamLayout.of(Network.of(net));
        double[] p = net.params().toDoubleVector();
        Random rnd = new Random(4);
        for (int i = 0; i < p.length; i++) {
            p[i] = rnd.nextGaussian() / 3;
        }
        List<StateMerge.Local> results = List.of(new StateMerge.Local(p.clone(), new double[0], 7),
                new StateMerge.Local(p.clone(), new double[0], 7),
                new StateMerge.Local(p.clone(), new double[0], 7));
        double[] merged = StateMerge.of(results, layout).params();
        for (ParamLayout.BnStatsSlot s : layout.bnStats()) {
            for (int c = 0; c < s.channels(); c++) {
                assertEquals(Double.doubleToLongBits(p[s.varOffset() + c]), Double.doubleToLongBits(merged[s.varOffset() + c]));
                assertEquals(Double.doubleToLongBits(p[s.meanOffset() + c]), Double.doubleToLongBits(merged[s.meanOffset() + c]));
            }
        }
    }

    @Test
    void varianceParameterisationIsMergedDirectly() {
        MultiLayerNetwork net = net(false);
        ParamLayout layout = ParamLayout.of(Network.of(net));
        ParamLayout.BnStatsSlot slot = layout.bnStats().get(0);
        assertEquals(false, slot.log10Std());
        int n = (int) layout.length();
        double[] a = new double[n];
        double[] b = new double[n];
        a[slot.meanOffset()] = 0;
        b[slot.meanOffset()] = 2;
        a[slot.varOffset()] = 1;
        b[slot.varOffset()] = 1;
        double[] merged = StateMerge.of(List.of(new StateMerge.Local(a, new double[0], 1),
                new StateMerge.Local(b, new double[0], 1)), layout).params();
        assertEquals(1.0, merged[slot.meanOffset()], 0);
        assertEquals(2.0, merged[slot.varOffset()], 1e-15);   // 1 + ((0-1)^2 + (2-1)^2)/2
    }
}
