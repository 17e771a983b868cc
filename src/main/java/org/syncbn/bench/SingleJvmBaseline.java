package org.syncbn.bench;

import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.config.JobSpec;
import org.syncbn.data.Batches;
import org.syncbn.data.Examples;
import org.syncbn.data.ShardPlan;
import org.syncbn.eval.EvalResult;
import org.syncbn.eval.Evaluator;
import org.syncbn.model.JobNetworks;
import org.syncbn.model.ModelInput;
import org.syncbn.network.Network;

import java.util.ArrayList;
import java.util.List;

/**
 * Benchmark (a): plain DL4J {@code fit} in one JVM on the job's network (any model source, the job's
 * bn.mode given as local by the caller) and data, one minibatch of {@code batch} per step.
 */
public final class SingleJvmBaseline {
    private SingleJvmBaseline() {
    }

    /** Per-epoch (samples/s, test accuracy) of single-JVM training. */
    public static List<double[]> run(JobSpec spec, int batch) {
        BenchData data = BenchData.load(spec);
        Examples train = data.train();
        Examples test = data.test();
        Network net = JobNetworks.build(spec, ModelInput.of(train.imageShape(), train.featureSize(), train.labelSize()),
                (train.count() + batch - 1) / batch, org.apache.hadoop.conf.Configuration::new);
        List<double[]> epochs = new ArrayList<>();
        ShardPlan plan = new ShardPlan(train.count(), 1, batch, spec.seed(), spec.data().shuffle());
        for (int e = 0; e < spec.train().epochs(); e++) {
            int[] epochOrder = plan.epochOrder(0, e);
            long t0 = System.nanoTime();
            for (int from = 0; from < epochOrder.length; from += batch) {
                DataSet ds = Batches.of(train, epochOrder, from, Math.min(epochOrder.length, from + batch),
                        net.dataType());
                net.fit(ds);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            EvalResult r = Evaluator.evaluate(net, test);
            epochs.add(new double[] {train.count() / seconds, r.accuracy()});
        }
        return epochs;
    }
}
