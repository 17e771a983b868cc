package org.syncbn.worker;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.bn.StatisticsExchange;
import org.syncbn.bn.SyncBatchNormalizationLayer;
import org.syncbn.collective.Collective;
import org.syncbn.collective.LocalCollective;
import org.syncbn.data.Batches;
import org.syncbn.data.Shard;
import org.syncbn.network.Network;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * One worker's part of a round, run inside a barrier task: join the round's collective (once per
 * stage), load the broadcast state into the worker's cached network, take the round's steps on its
 * shard, hand back the new state.
 */
public final class RoundTask implements Serializable {
    private final RoundConfig config;
    private final Broadcast<RoundState> state;

    private RoundTask(RoundConfig config, Broadcast<RoundState> state) {
        this.config = config;
        this.state = state;
    }

    /**
     * Runs one round as one barrier stage of W tasks over {@code shards} (one partition per worker)
     * and returns the workers' results in rank order.
     */
    public static List<WorkerResult> runStage(JavaRDD<Shard> shards, RoundConfig config, Broadcast<RoundState> state) {
        ClassTag<WorkerResult> tag = ClassTag$.MODULE$.apply(WorkerResult.class);
        RDD<WorkerResult> out = shards.rdd().barrier()
                .mapPartitions(new BarrierFunction(new RoundTask(config, state)), false, tag);
        List<WorkerResult> results = new ArrayList<>(JavaRDD.fromRDD(out, tag).collect());
        results.sort(Comparator.comparingInt(WorkerResult::rank));
        return results;
    }

    Iterator<WorkerResult> run(Iterator<Shard> partition) {
        if (!partition.hasNext()) {
            throw new IllegalStateException("a training partition holds no shard");
        }
        long taskStart = System.nanoTime();
        Shard shard = partition.next();
        NativeThreads.apply(config.threadsPerWorker());
        Network net = WorkerNetworks.get(config.runId(), "train", shard.rank(), config.network());
        RoundState s = state.value();
        net.load(s.params(), s.updater());

        int[] order = config.plan().epochOrder(shard.rank(), s.epoch());
        if (order.length != shard.examples().count()) {
            throw new IllegalStateException("worker " + shard.rank() + " holds " + shard.examples().count()
                    + " examples, the shard plan expects " + order.length);
        }
        Collective all = config.communicates() ? config.join().join(BarrierTaskContext.get(), s) : new LocalCollective();
        try {
            // the members whose batches are normalised together: everyone (sync) or one's group
            Collective bn = all.group(config.bnMode().groupSize(all.size()));
            List<SyncBatchNormalizationLayer> layers = net.syncBnLayers();
            for (SyncBatchNormalizationLayer l : layers) {
                l.setCollective(bn);
            }
            WorkerResult r = steps(net, shard, order, s, layers, bn);
            return List.of(new WorkerResult(r.rank(), r.params(), r.updater(), r.samples(), r.lossSum(), r.steps(),
                    r.stepSeconds(), (System.nanoTime() - taskStart) / 1e9)).iterator();
        } finally {
            all.close();
        }
    }

    private WorkerResult steps(Network net, Shard shard, int[] order, RoundState s,
                               List<SyncBatchNormalizationLayer> layers, Collective bn) {
        DataType type = net.dataType();
        int b = config.plan().batchPerWorker();
        long samples = 0;
        double lossSum = 0;
        int steps = 0;
        long t0 = System.nanoTime();
        StepWatch watch = new StepWatch();
        for (int j = 0; j < s.steps(); j++) {
            watch.beforeStep();
            int from = Math.min(order.length, (s.firstStep() + j) * b);
            int to = Math.min(order.length, from + b);
            DataSet batch = Batches.of(shard.examples(), order, from, to, type);
            if (batch == null || watch.diverged()) {
                // end of a shorter shard, or a diverged step (the driver reports it): no update
                // (weight 0), but the statistics collectives of the others still need this worker
                StatisticsExchange.sitOutStep(layers, bn);
                continue;
            }
            net.setCounters(s.iteration() + j, s.epoch());
            net.fit(batch);
            lossSum += net.score() * (to - from);
            samples += to - from;
            steps++;
            watch.afterStep(net);
        }
        return new WorkerResult(shard.rank(), net.params(), net.updaterState(),
                samples, lossSum, steps, (System.nanoTime() - t0) / 1e9, Double.NaN);
    }
}
