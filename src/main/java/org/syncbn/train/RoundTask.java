package org.syncbn.train;

import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.data.Batches;
import org.syncbn.data.Shard;
import org.syncbn.data.ShardPlan;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;

/**
 * One worker's part of a round, run inside a barrier task: load the broadcast state into the
 * worker's cached network, take the round's steps on its shard, hand back the new state.
 */
final class RoundTask implements Serializable {
    private final String runId;
    private final String confJson;
    private final ShardPlan plan;
    private final Broadcast<RoundState> state;
    private final int threads;

    RoundTask(String runId, String confJson, ShardPlan plan, Broadcast<RoundState> state, int threads) {
        this.runId = runId;
        this.confJson = confJson;
        this.plan = plan;
        this.state = state;
        this.threads = threads;
    }

    Iterator<WorkerResult> run(Iterator<Shard> partition) {
        if (!partition.hasNext()) {
            throw new IllegalStateException("a training partition holds no shard");
        }
        Shard shard = partition.next();
        NativeThreads.apply(threads);
        MultiLayerNetwork net = WorkerNetworks.get(runId, "train", shard.rank(), confJson);
        RoundState s = state.value();
        NetworkState.load(net, s.params(), s.updater());

        DataType type = net.params().dataType();
        int[] order = plan.epochOrder(shard.rank(), s.epoch());
        if (order.length != shard.examples().count()) {
            throw new IllegalStateException("worker " + shard.rank() + " holds " + shard.examples().count()
                    + " examples, the shard plan expects " + order.length);
        }
        int b = plan.batchPerWorker();
        long samples = 0;
        double lossSum = 0;
        int steps = 0;
        long t0 = System.nanoTime();
        for (int j = 0; j < s.steps(); j++) {
            int from = Math.min(order.length, (s.firstStep() + j) * b);
            int to = Math.min(order.length, from + b);
            DataSet batch = Batches.of(shard.examples(), order, from, to, type);
            if (batch == null) {
                continue;   // end of a shorter shard: this worker sits the step out (weight 0)
            }
            net.setIterationCount(s.iteration() + j);
            net.setEpochCount(s.epoch());
            net.fit(batch);
            lossSum += net.score() * (to - from);
            samples += to - from;
            steps++;
        }
        return List.of(new WorkerResult(shard.rank(), NetworkState.params(net), NetworkState.updater(net),
                samples, lossSum, steps, (System.nanoTime() - t0) / 1e9)).iterator();
    }
}
