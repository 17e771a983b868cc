package org.syncbn.data;

import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import org.nd4j.linalg.dataset.DataSet;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Shards an RDD of DL4J DataSets (or MultiDataSets) by the same rule as file data: the i-th example
 * (in RDD order) goes to worker i mod W. Features and labels are flattened per example (a
 * MultiDataSet's arrays one after another), so the same plan, minibatches and merge serve both.
 */
public final class DataSetShards {
    private DataSetShards() {
    }

    public static JavaRDD<Shard> of(JavaRDD<DataSet> data, int workers) {
        return shard(data.flatMap(ds -> ds.asList().iterator()), workers);
    }

    /** {@link #of} for MultiDataSets: one example's feature arrays concatenated, and its label arrays. */
    public static JavaRDD<Shard> ofMulti(JavaRDD<org.nd4j.linalg.dataset.api.MultiDataSet> data, int workers) {
        return shard(data.flatMap(mds -> {
            if (mds.getFeaturesMaskArrays() != null || mds.getLabelsMaskArrays() != null) {
                throw new IllegalArgumentException("MultiDataSets with mask arrays are not supported");
            }
            List<DataSet> flat = new ArrayList<>();
            for (org.nd4j.linalg.dataset.api.MultiDataSet one : ((org.nd4j.linalg.dataset.MultiDataSet) mds).asList()) {
                flat.add(new DataSet(concat(one.getFeatures()), concat(one.getLabels())));
            }
            return flat.iterator();
        }), workers);
    }

    /** One example's arrays flattened in C order and put one after another: a [1, total] row. */
    private static org.nd4j.linalg.api.ndarray.INDArray concat(org.nd4j.linalg.api.ndarray.INDArray[] arrays) {
        org.nd4j.linalg.api.ndarray.INDArray[] rows = new org.nd4j.linalg.api.ndarray.INDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            rows[i] = arrays[i].dup('c').reshape('c', 1, arrays[i].length());
        }
        return org.nd4j.linalg.factory.Nd4j.hstack(rows);
    }

    private static JavaRDD<Shard> shard(JavaRDD<DataSet> examples, int workers) {
        return examples
                .zipWithIndex()
                .mapToPair(t -> new Tuple2<>(t._2(), t._1()))
                .partitionBy(new ModPartitioner(workers))
                .mapPartitionsWithIndex((rank, it) -> {
                    List<Tuple2<Long, DataSet>> rows = new ArrayList<>();
                    it.forEachRemaining(rows::add);
                    rows.sort(Comparator.comparingLong(Tuple2::_1));
                    return List.of(new Shard(rank, dense(rows))).iterator();
                }, true)
                .persist(StorageLevel.MEMORY_AND_DISK());
    }

    private static Examples dense(List<Tuple2<Long, DataSet>> rows) {
        if (rows.isEmpty()) {
            return new DenseExamples(0, 0, 0, new double[0], new double[0]);
        }
        int f = (int) rows.get(0)._2().getFeatures().length();
        int l = (int) rows.get(0)._2().getLabels().length();
        double[] features = new double[rows.size() * f];
        double[] labels = new double[rows.size() * l];
        for (int i = 0; i < rows.size(); i++) {
            DataSet ds = rows.get(i)._2();
            if (ds.getFeatures().length() != f || ds.getLabels().length() != l) {
                throw new IllegalArgumentException("example " + rows.get(i)._1() + " has " + ds.getFeatures().length()
                        + " features and " + ds.getLabels().length() + " labels, the first one " + f + " and " + l);
            }
            System.arraycopy(ds.getFeatures().dup('c').data().asDouble(), 0, features, i * f, f);   // any rank, C order
            System.arraycopy(ds.getLabels().dup('c').data().asDouble(), 0, labels, i * l, l);
        }
        return new DenseExamples(rows.size(), f, l, features, labels);
    }

    /** Key i (a long example index) to partition i mod W. */
    static final class ModPartitioner extends Partitioner {
        private final int partitions;

        ModPartitioner(int partitions) {
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.floorMod((Long) key, (long) partitions);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ModPartitioner m && m.partitions == partitions;
        }

        @Override
        public int hashCode() {
            return partitions;
        }
    }
}
