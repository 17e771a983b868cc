package org.syncbn.bench;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.config.JobSpec;
import org.syncbn.data.Batches;
import org.syncbn.data.Examples;
import org.syncbn.data.ShardPlan;
import org.syncbn.eval.EvalResult;
import org.syncbn.eval.Evaluator;
import org.syncbn.model.NetworkFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Benchmark (a): plain DL4J {@code MultiLayerNetwork.fit} in one JVM on the job's network and
 * data, one minibatch of {@code workers × batchPerWorker} per step (the same global batch as the
 * distributed job).
 */
public final class SingleJvmBaseline {
    private SingleJvmBaseline() {
    }

    /** Per-epoch (samples/s, test accuracy) of single-JVM training. */
    public static List<double[]> run(JobSpec spec, int batch) {
        BenchData data = BenchData.load(spec);
        Examples train = data.train();
        Examples test = data.test();
        MultiLayerNetwork net = new MultiLayerNetwork(NetworkFactory.build(spec, train.featureSize()));
        net.init();
        List<double[]> epochs = new ArrayList<>();
        ShardPlan plan = new ShardPlan(train.count(), 1, batch, spec.seed(), spec.data().shuffle());
        for (int e = 0; e < spec.train().epochs(); e++) {
            int[] epochOrder = plan.epochOrder(0, e);
            long t0 = System.nanoTime();
            for (int from = 0; from < epochOrder.length; from += batch) {
                DataSet ds = Batches.of(train, epochOrder, from, Math.min(epochOrder.length, from + batch),
                        net.params().dataType());
                net.fit(ds);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            EvalResult r = Evaluator.evaluate(org.syncbn.network.Network.of(net), test);
            epochs.add(new double[] {train.count() / seconds, r.accuracy()});
        }
        return epochs;
    }
}
