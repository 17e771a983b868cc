package org.syncbn.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;
import org.syncbn.data.Shard;
import org.syncbn.data.ShardInfo;
import org.syncbn.data.ShardPlan;
import org.syncbn.model.NetworkFactory;

/**
 * Trains a fresh network of a job spec on already-sharded data with the round loop, for all of
 * the spec's epochs, with no checkpoints, evaluation or output files: what an embedding
 * application (the Spark ML estimator) needs. {@link TrainingJob} is the CLI's fuller run.
 */
public final class ShardTraining {
    private ShardTraining() {
    }

    /**
     * @param train    one persisted shard per worker ({@code spec.train().workers()} partitions)
     * @param progress called on the driver after every merged round
     * @return the trained network (SyncBN layers as the spec built them, running statistics merged)
     */
    public static MultiLayerNetwork fit(JavaSparkContext sc, JobSpec spec, JavaRDD<Shard> train,
                                        RoundListener progress) {
        int workers = spec.train().workers();
        int threads = spec.train().threadsPerWorker() > 0 ? spec.train().threadsPerWorker()
                : TrainingJob.threadsPerWorker(sc, workers);
        String runId = "fit-" + spec.name() + "-" + System.nanoTime();
        try {
            ShardInfo info = ShardInfo.of(train);
            if (info.labelSize() != spec.data().numClasses()) {
                throw new SpecException("training examples have " + info.labelSize() + " classes, data.numClasses = "
                        + spec.data().numClasses());
            }
            MultiLayerNetwork master = new MultiLayerNetwork(NetworkFactory.build(spec, info.featureSize()));
            master.init();
            ShardPlan plan = new ShardPlan(info.total(), workers, spec.train().batchPerWorker(), spec.seed(),
                    spec.data().shuffle());
            RoundConfig config = new RoundConfig(runId, master.getLayerWiseConfigurations().toJson(), plan,
                    spec.train().stepsPerRound(), threads, spec.bnMode(), spec.collective().timeoutSec(),
                    spec.collective().rendezvous().equals("driver"), spec.train().roundAttempts(),
                    spec.spark().slotWaitSec(), null);
            RoundLoop loop = new RoundLoop(sc, config, ParamLayout.of(master), master.params().dataType());
            RoundSchedule schedule = loop.schedule();
            int endRound = spec.train().epochs() * schedule.roundsPerEpoch();
            TrainingState end = loop.run(train, new TrainingState(NetworkState.params(master),
                    NetworkState.updater(master), 0), endRound, progress);
            NetworkState.load(master, end.params(), end.updater());
            master.setIterationCount(schedule.iterationsBefore(endRound));
            master.setEpochCount(schedule.epochOf(endRound));
            return master;
        } finally {
            WorkerNetworks.release(runId);
        }
    }
}
