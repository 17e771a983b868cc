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
import org.syncbn.config.JobSpec;
import org.syncbn.network.Network;
import org.syncbn.network.ParamLayout;
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
 * shard (all-reducing gradients before each step with train.sync = gradients), merge the workers'
 * states among them ({@link StateMerge}), and hand back the merged state (rank 0) and the figures.
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
        // the workers of a round always meet (the round-end merge runs among them); alone, one has itself
        Collective all = config.plan().workers() > 1 ? config.join().join(BarrierTaskContext.get(), s)
                : new LocalCollective();
        try {
            // the members whose batches are normalised together: everyone (sync), one's group, or none
            Collective bn = config.communicates() ? all.group(config.bnMode().groupSize(all.size()))
                    : new LocalCollective();
            List<SyncBatchNormalizationLayer> layers = net.syncBnLayers();
            for (SyncBatchNormalizationLayer l : layers) {
                l.setCollective(bn);
            }
            ParamLayout layout = ParamLayout.of(net);
            boolean gradients = config.sync() == JobSpec.SyncMode.GRADIENTS;
            GradientAllReduce reduce = gradients ? new GradientAllReduce(all, layout) : null;
            net.divideGradientsByBatch(!gradients);
            net.listenWith(reduce);
            Steps r = steps(net, shard, order, s, layers, bn, reduce);
            long m0 = System.nanoTime();
            double[] params = net.params();
            double[] updater = net.updaterState();
            boolean finite = finite(params) && finite(updater);
            StateMerge.Merged merged = StateMerge.onMesh(all, new StateMerge.Local(params, updater, r.samples()),
                    layout, gradients);
            double mergeSeconds = (System.nanoTime() - m0) / 1e9;
            // one copy of the merged state reaches the driver, whatever W is
            boolean carrier = all.rank() == 0;
            return List.of(new WorkerResult(shard.rank(), carrier ? merged.params() : new double[0],
                    carrier ? merged.updater() : new double[0], r.samples(), r.lossSum(), r.steps(), finite, r.seconds(),
                    (System.nanoTime() - taskStart) / 1e9, mergeSeconds)).iterator();
        } finally {
            all.close();
        }
    }

    private static boolean finite(double[] values) {
        for (double v : values) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /** What a worker's steps did. */
    private record Steps(long samples, double lossSum, int steps, double seconds) {}

    private Steps steps(Network net, Shard shard, int[] order, RoundState s, List<SyncBatchNormalizationLayer> layers,
                        Collective bn, GradientAllReduce reduce) {
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
            net.setCounters(s.iteration() + j, s.epoch());
            if (batch == null || watch.diverged()) {
                // end of a shorter shard, or a diverged step (the driver reports it): the others'
                // collectives still need this worker; with parameter averaging it takes no step
                // (weight 0), with gradient all-reduce the same step
                StatisticsExchange.sitOutStep(layers, bn);
                if (reduce != null) {
                    reduce.sitOut(net.gradientView());
                    net.stepOnGradient(s.iteration() + j, s.epoch());
                }
                continue;
            }
            if (reduce != null) {
                reduce.beforeStep(to - from);
            }
            net.fit(batch);
            lossSum += net.score() * (to - from);
            samples += to - from;
            steps++;
            watch.afterStep(net);
        }
        return new Steps(samples, lossSum, steps, (System.nanoTime() - t0) / 1e9);
    }
}
