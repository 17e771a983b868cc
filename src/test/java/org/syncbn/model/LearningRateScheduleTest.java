package org.syncbn.model;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.junit.jupiter.api.Test;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LearningRateScheduleTest {

    private static JobSpec spec(String... sets) {
        List<String> all = new ArrayList<>(List.of("train.workers=8", "train.batchPerWorker=128", "train.epochs=10",
                "optim.lr=0.1", "optim.baseBatch=256", "optim.updater=sgd"));
        all.addAll(List.of(sets));
        return JobSpecLoader.load(Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf"), all);
    }

    @Test
    void scalingRulesMultiplyTheRateByTheBatchRatioItsRootOrNothing() {
        assertEquals(4.0, LearningRateSchedule.scaling("linear", 1024, 256));
        assertEquals(2.0, LearningRateSchedule.scaling("sqrt", 1024, 256));
        assertEquals(1.0, LearningRateSchedule.scaling("none", 1024, 256));
        assertEquals(0.25, LearningRateSchedule.scaling("linear", 64, 256));
    }

    @Test
    void warmupRisesLinearlyFromTheBaseRateToTheScaledRate() {
        // global batch 8 x 128 = 1024 = 4 x 256; 100 steps per epoch; 5 warmup epochs = 500 steps
        LearningRateSchedule s = NetworkFactory.schedule(spec("optim.lrScaling=linear", "optim.warmupEpochs=5"), 100);
        assertEquals(0.1, s.valueAt(0, 0), 1e-15);
        assertEquals(0.1 + (0.4 - 0.1) * 250 / 500, s.valueAt(250, 2), 1e-15);
        assertEquals(0.4, s.valueAt(500, 5), 1e-15);
        assertEquals(0.4, s.valueAt(999, 9), 1e-15);
    }

    @Test
    void stepDecayMultipliesAtEachBoundaryEpoch() {
        LearningRateSchedule s = NetworkFactory.schedule(spec("optim.lrScaling=sqrt", "optim.decay=step",
                "optim.decayEpochs=[3, 6.5]", "optim.decayFactor=0.5"), 100);
        assertEquals(0.2, s.valueAt(299, 2), 1e-15);
        assertEquals(0.1, s.valueAt(300, 3), 1e-15);
        assertEquals(0.1, s.valueAt(649, 6), 1e-15);
        assertEquals(0.05, s.valueAt(650, 6), 1e-15);
    }

    @Test
    void cosineDecayFallsFromTheScaledRateToZeroAfterWarmup() {
        LearningRateSchedule s = NetworkFactory.schedule(spec("optim.lrScaling=linear", "optim.warmupEpochs=2",
                "optim.decay=cosine"), 100);
        assertEquals(0.4, s.valueAt(200, 2), 1e-15);
        assertEquals(0.2, s.valueAt(600, 6), 1e-12);   // half-way through the 800 decay steps
        assertEquals(0.0, s.valueAt(1000, 10), 1e-15);
    }

    @Test
    void theNetworkCarriesTheScheduleThroughDl4jJsonAsWorkersReceiveIt() {
        JobSpec spec = spec("optim.lrScaling=linear", "optim.warmupEpochs=1", "optim.decay=cosine", "optim.updater=adam");
        MultiLayerConfiguration conf = NetworkFactory.build(spec, 784, 50);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        LearningRateSchedule expected = NetworkFactory.schedule(spec, 50);
        for (int t : new int[] {0, 25, 50, 200, 499}) {
            BaseLayer layer = (BaseLayer) back.getConf(0).getLayer();
            assertEquals(expected.valueAt(t, t / 50), layer.getIUpdater().getLearningRate(t, t / 50), 0.0, "step " + t);
        }
        assertEquals(conf, back);
    }

    @Test
    void aConstantRateNeedsNoStepsPerEpochButAScheduleDoes() {
        NetworkFactory.build(spec(), 784);
        assertThrows(IllegalArgumentException.class, () -> NetworkFactory.build(spec("optim.warmupEpochs=1"), 784));
    }

    @Test
    void badRulesAreRejectedNamingTheKey() {
        SpecException e = assertThrows(SpecException.class, () -> spec("optim.lrScaling=cube"));
        assertTrue(e.getMessage().contains("optim.lrScaling") && e.getMessage().contains("cube"), e.getMessage());
        e = assertThrows(SpecException.class, () -> spec("optim.decayFactor=0"));
        assertTrue(e.getMessage().contains("optim.decayFactor"), e.getMessage());
        e = assertThrows(SpecException.class, () -> spec("optim.decayEpochs=[-1]"));
        assertTrue(e.getMessage().contains("optim.decayEpochs"), e.getMessage());
    }
}
