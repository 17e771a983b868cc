package org.syncbn.train;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.bn.BnMode;
import org.syncbn.bn.SyncBn;
import org.syncbn.collective.Collective;
import org.syncbn.collective.LocalCollective;
import org.syncbn.collective.TcpCollective;
import org.syncbn.data.Batches;
import org.syncbn.data.Shard;

import java.io.Serializable;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;

/**
 * One worker's part of a round, run inside a barrier task: open the round's collective (once per
 * stage), load the broadcast state into the worker's cached network, take the round's steps on its
 * shard, hand back the new state.
 */
final class RoundTask implements Serializable {
    private final RoundConfig config;
    private final Broadcast<RoundState> state;

    RoundTask(RoundConfig config, Broadcast<RoundState> state) {
        this.config = config;
        this.state = state;
    }

    Iterator<WorkerResult> run(Iterator<Shard> partition) {
        if (!partition.hasNext()) {
            throw new IllegalStateException("a training partition holds no shard");
        }
        long taskStart = System.nanoTime();
        Shard shard = partition.next();
        NativeThreads.apply(config.threadsPerWorker());
        MultiLayerNetwork net = WorkerNetworks.get(config.runId(), "train", shard.rank(), config.confJson());
        RoundState s = state.value();
        NetworkState.load(net, s.params(), s.updater());

        int[] order = config.plan().epochOrder(shard.rank(), s.epoch());
        if (order.length != shard.examples().count()) {
            throw new IllegalStateException("worker " + shard.rank() + " holds " + shard.examples().count()
                    + " examples, the shard plan expects " + order.length);
        }
        Collective root = openCollective(s);
        try {
            Collective bn = statisticsCollective(root);
            SyncBn.attach(net, bn);
            WorkerResult r = steps(net, shard, order, s, root, bn);
            return List.of(new WorkerResult(r.rank(), r.params(), r.updater(), r.samples(), r.lossSum(), r.steps(),
                    r.stepSeconds(), (System.nanoTime() - taskStart) / 1e9)).iterator();
        } finally {
            root.close();
        }
    }

    private WorkerResult steps(MultiLayerNetwork net, Shard shard, int[] order, RoundState s, Collective root,
                               Collective bn) {
        DataType type = net.params().dataType();
        int b = config.plan().batchPerWorker();
        long samples = 0;
        double lossSum = 0;
        int steps = 0;
        long t0 = System.nanoTime();
        for (int j = 0; j < s.steps(); j++) {
            if (config.fault() != null && config.fault().hits(s.round(), s.attempt(), shard.rank(), j)) {
                root.close();
            }
            int from = Math.min(order.length, (s.firstStep() + j) * b);
            int to = Math.min(order.length, from + b);
            DataSet batch = Batches.of(shard.examples(), order, from, to, type);
            if (batch == null) {
                // end of a shorter shard: no update (weight 0), but the statistics collectives
                // of the others still need this worker
                if (config.communicates()) {
                    SyncBn.participateEmpty(net, bn);
                }
                continue;
            }
            net.setIterationCount(s.iteration() + j);
            net.setEpochCount(s.epoch());
            net.fit(batch);
            lossSum += net.score() * (to - from);
            samples += to - from;
            steps++;
        }
        return new WorkerResult(shard.rank(), NetworkState.params(net), NetworkState.updater(net),
                samples, lossSum, steps, (System.nanoTime() - t0) / 1e9, Double.NaN);
    }

    /** The round's full collective over all workers (a local one when nothing is shared). */
    private Collective openCollective(RoundState s) {
        if (!config.communicates()) {
            return new LocalCollective();
        }
        BarrierTaskContext ctx = BarrierTaskContext.get();
        Duration timeout = Duration.ofSeconds(config.timeoutSec());
        if (s.rendezvous() == null) {
            return TcpCollective.fromBarrier(ctx, timeout);
        }
        String token = RoundLoop.rendezvousToken(config.runId(), s.round()) + s.attempt() + "." + ctx.stageAttemptNumber();
        return TcpCollective.fromDriver(ctx, s.rendezvous(), token, timeout);
    }

    /** The members whose batches are normalised together: everyone (sync) or one's group. */
    private Collective statisticsCollective(Collective root) {
        BnMode mode = config.bnMode();
        if (!config.communicates()) {
            return root;
        }
        return mode.kind() == BnMode.Kind.GROUP ? root.group(mode.size()) : root;
    }
}
