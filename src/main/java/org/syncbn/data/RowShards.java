package org.syncbn.data;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * Shards examples read from a table by the rule the file sources follow ({@link ShardPlan}): the
 * table's row order is the file order, the seeded global order is applied to it, and position i
 * of that order goes to worker i mod W. The rows move between executors once; nothing passes
 * through the driver but the permutation (one int per row, broadcast).
 */
public final class RowShards {
    private RowShards() {
    }

    /** Turns a table's row, numbered in table order from 0, into an example, or refuses it. */
    public interface RowReader<T> extends java.io.Serializable {
        LabeledVector read(T row, long index);
    }

    /**
     * Shards examples that are already read (flat features).
     *
     * @param numClasses  label vector length (one-hot)
     * @param maxExamples keep only the first N positions of the global order; 0 = all
     */
    public static JavaRDD<Shard> of(JavaRDD<LabeledVector> rows, int workers, int numClasses, int maxExamples,
                                    long seed, boolean shuffle) {
        return of(rows, (v, i) -> v, null, workers, numClasses, maxExamples, seed, shuffle);
    }

    /**
     * Shards a table's rows, each turned into an example by {@code reader} where the row's number is
     * known (every row, also those past {@code maxExamples}, so bad data is refused wherever it is).
     *
     * @param shape       the image each example's features are (CHW order), or null for flat features
     * @param numClasses  label vector length (one-hot)
     * @param maxExamples keep only the first N positions of the global order; 0 = all
     */
    public static <T> JavaRDD<Shard> of(JavaRDD<T> rows, RowReader<T> reader, ImageShape shape, int workers,
                                        int numClasses, int maxExamples, long seed, boolean shuffle) {
        long count = rows.count();
        if (count == 0) {
            throw new org.syncbn.config.SpecException("the data set has no rows: expected at least one example");
        }
        int[] order = ShardPlan.globalOrder(Math.toIntExact(count), maxExamples, seed, shuffle);
        int[] position = new int[(int) count];
        java.util.Arrays.fill(position, -1);
        for (int p = 0; p < order.length; p++) {
            position[order[p]] = p;
        }
        // broadcast, not captured: a closure would ship the whole array with every task; kept alive
        // (not destroyed) because a lost persisted shard is recomputed from it
        Broadcast<int[]> positions = JavaSparkContext.fromSparkContext(rows.context()).broadcast(position);
        return rows.zipWithIndex()
                .flatMapToPair(t -> {
                    LabeledVector example = reader.read(t._1(), t._2());
                    int p = positions.value()[Math.toIntExact(t._2())];
                    return p < 0 ? Collections.emptyIterator()
                            : List.of(new Tuple2<>((long) p, example)).iterator();
                })
                .partitionBy(new DataSetShards.ModPartitioner(workers))
                .mapPartitionsWithIndex((rank, it) -> {
                    List<Tuple2<Long, LabeledVector>> local = new ArrayList<>();
                    it.forEachRemaining(local::add);
                    local.sort(Comparator.comparingLong(Tuple2::_1));
                    return List.of(new Shard(rank, dense(local, numClasses, shape))).iterator();
                }, true)
                .persist(StorageLevel.MEMORY_AND_DISK());
    }

    private static Examples dense(List<Tuple2<Long, LabeledVector>> rows, int classes, ImageShape shape) {
        if (rows.isEmpty()) {
            int f = shape == null ? 0 : shape.size();
            return new DenseExamples(0, f, classes, new double[0], new double[0], shape);
        }
        int f = rows.get(0)._2().features().length;
        double[] features = new double[rows.size() * f];
        double[] labels = new double[rows.size() * classes];
        for (int i = 0; i < rows.size(); i++) {
            double[] x = rows.get(i)._2().features();
            if (x.length != f) {
                throw new org.syncbn.config.SpecException("example at position " + rows.get(i)._1() + " has "
                        + x.length + " features, example " + rows.get(0)._1() + " has " + f
                        + ": expected the same number in every row");
            }
            System.arraycopy(x, 0, features, i * f, f);
            labels[i * classes + rows.get(i)._2().label()] = 1;
        }
        return new DenseExamples(rows.size(), f, classes, features, labels, shape);
    }
}
