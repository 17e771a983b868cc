package org.syncbn.data;

import org.apache.spark.api.java.JavaRDD;
import org.syncbn.config.SpecException;

import java.io.Serializable;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Shapes of a sharded data set, read off its persisted partitions (which also materialises them).
 * Every shard that holds examples must agree on them; an empty shard has nothing to say.
 *
 * @param sizes       examples per shard, by rank
 * @param featureSize features per example
 * @param labelSize   label vector length (classes)
 * @param shape       the image each example's features are (CHW order), or null for flat features
 */
public record ShardInfo(int[] sizes, int featureSize, int labelSize, ImageShape shape) implements Serializable {

    public static ShardInfo of(JavaRDD<Shard> shards) {
        List<Row> rows = shards.map(s -> new Row(s.rank(), s.examples().count(), s.examples().featureSize(),
                s.examples().labelSize(), s.examples().imageShape().orElse(null))).collect();
        int[] sizes = new int[rows.size()];
        for (Row r : rows) {
            sizes[r.rank()] = r.count();
        }
        // the first shard with examples speaks for all; a shard with none may not know the widths
        Row first = rows.stream().filter(r -> r.count() > 0).min(Comparator.comparingInt(Row::rank))
                .orElse(rows.get(0));
        for (Row r : rows) {
            if (r.count() > 0 && (r.features() != first.features() || r.labels() != first.labels()
                    || !Objects.equals(r.shape(), first.shape()))) {
                throw new SpecException("shard " + r.rank() + " holds examples of " + r.describe() + ", shard "
                        + first.rank() + " of " + first.describe() + ": expected the same in every shard");
            }
        }
        return new ShardInfo(sizes, first.features(), first.labels(), first.shape());
    }

    /** The image every example's features are, or empty for flat features. */
    public Optional<ImageShape> imageShape() {
        return Optional.ofNullable(shape);
    }

    public int total() {
        int t = 0;
        for (int s : sizes) {
            t += s;
        }
        return t;
    }

    /** One shard's shapes, as its partition reports them. */
    private record Row(int rank, int count, int features, int labels, ImageShape shape) implements Serializable {
        String describe() {
            return features + " features" + (shape == null ? "" : " (" + shape + " images)") + " and " + labels
                    + " labels";
        }
    }
}
