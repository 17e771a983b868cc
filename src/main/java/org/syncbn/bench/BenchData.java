package org.syncbn.bench;

import org.syncbn.config.JobSpec;
import org.syncbn.data.Examples;
import org.syncbn.data.ShardPlan;

/**
 * The training set (in the job's global order, sliced to data.maxTrainExamples) and the test set
 * (sliced to data.maxTestExamples) that every baseline trains and evaluates on: the same examples
 * the distributed job uses.
 */
record BenchData(Examples train, Examples test) {

    static BenchData load(JobSpec spec) {
        org.syncbn.data.DataSource source = org.syncbn.data.DataSource.of(spec.data());
        Examples train = source.train();
        Examples test = source.test();
        train = train.subset(ShardPlan.globalOrder(train.count(), spec.data().maxTrainExamples(), spec.seed(),
                spec.data().shuffle()));
        test = test.subset(ShardPlan.globalOrder(test.count(), spec.data().maxTestExamples(), 0, false));
        return new BenchData(train, test);
    }
}
