package org.syncbn.network;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * A job's learning-rate schedule is this project's class, which plain DL4J cannot load; an exported
 * model carries each updater with the constant rate it would use at the model's iteration and epoch
 * instead (what a warm start from it continues with; a job's own schedule is rebuilt from its spec).
 */
final class ExportedUpdaters {
    private ExportedUpdaters() {
    }

    static void freeze(MultiLayerConfiguration conf) {
        for (NeuralNetConfiguration c : conf.getConfs()) {
            freeze(c, conf.getIterationCount(), conf.getEpochCount());
        }
    }

    static void freeze(ComputationGraphConfiguration conf) {
        for (org.deeplearning4j.nn.conf.graph.GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv) {
                freeze(lv.getLayerConf(), conf.getIterationCount(), conf.getEpochCount());
            }
        }
    }

    private static void freeze(NeuralNetConfiguration c, int iteration, int epoch) {
        if (c.getLayer() instanceof BaseLayer b) {
            constant(b.getIUpdater(), iteration, epoch);
            constant(b.getBiasUpdater(), iteration, epoch);
        }
    }

    private static void constant(IUpdater u, int iteration, int epoch) {
        if (u != null && u.hasLearningRate()) {
            u.setLrAndSchedule(u.getLearningRate(iteration, epoch), null);
        }
    }
}
