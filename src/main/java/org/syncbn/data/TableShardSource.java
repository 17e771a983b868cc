package org.syncbn.data;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Training and test tables (CSV, LibSVM, Parquet) read by Spark's readers in parallel, their
 * columns checked against data.featureCols and data.labelCol, every row checked by
 * {@link TableRows} (finite, of row 1's width or data.imageShape's), then sharded by {@link RowShards}.
 */
public final class TableShardSource implements ShardSource {
    private final JobSpec.DataSpec spec;

    public TableShardSource(JobSpec.DataSpec spec) {
        this.spec = spec;
    }

    @Override
    public JavaRDD<Shard> training(JavaSparkContext sc, int workers, int maxExamples, long seed, boolean shuffle) {
        return shards(spark(sc), spec.trainFile(), false, workers, maxExamples, seed, shuffle);
    }

    @Override
    public JavaRDD<Shard> test(JavaSparkContext sc, int workers, int maxExamples) {
        return shards(spark(sc), spec.testFile(), true, workers, maxExamples, 0L, false);
    }

    private JavaRDD<Shard> shards(SparkSession spark, String file, boolean test, int workers, int maxExamples,
                                  long seed, boolean shuffle) {
        Dataset<Row> table = read(spark, file);
        FeatureColumns cols = FeatureColumns.of(path(file), table.schema(), spec.featureCols(), spec.labelCol(),
                List.of());
        Dataset<Row> selected = cols.select(table);
        Optional<ImageShape> shape = ImageShape.of(spec);
        boolean libsvm = spec.format() == JobSpec.DataFormat.LIBSVM;
        int width = 0;
        String why = null;
        if (shape.isPresent()) {
            width = shape.get().size();
            why = "= " + shape.get() + " (data.imageShape = " + spec.imageShape() + ")";
        } else if (libsvm && test) {
            // a LibSVM file's width is its largest index: a test file need not use the last one
            width = libsvmWidth(read(spark, spec.trainFile()), path(spec.trainFile()));
            why = "as the training file " + path(spec.trainFile()) + " has";
        }
        TableRows rows = TableRows.of(cols, selected, spec.numClasses(), width, why, libsvm);
        return RowShards.of(selected.javaRDD(), rows, shape.orElse(null), workers, spec.numClasses(), maxExamples,
                seed, shuffle);
    }

    /** LibSVM files are read at their own width (their largest index); {@link TableRows} fits each row. */
    private Dataset<Row> read(SparkSession spark, String file) {
        return TableReader.read(spark, spec.format().key(), path(file), 0);
    }

    private String path(String file) {
        return DataFiles.resolve(spec.dir(), file);
    }

    /**
     * The session over {@code sc} itself: a plain {@code builder().getOrCreate()} looks the context up
     * again and warns "Using an existing SparkContext" on every run.
     */
    private static SparkSession spark(JavaSparkContext sc) {
        return SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
    }

    private static int libsvmWidth(Dataset<Row> table, String file) {
        int size = AttributeGroup.fromStructField(table.schema().apply("features")).size();
        if (size < 1) {
            throw new SpecException(file + ": LibSVM file without feature indices: expected lines \"label index:value ...\"");
        }
        return size;
    }

    /** SHA-256 of each file; a Parquet directory contributes each of its data files. */
    @Override
    public Map<String, String> fingerprint() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String file : new String[] {spec.trainFile(), spec.testFile()}) {
            String p = path(file);
            try {
                Path hp = new Path(p);
                FileSystem fs = hp.getFileSystem(new org.apache.hadoop.conf.Configuration());
                if (!fs.exists(hp)) {
                    throw new SpecException("data file not found: " + p);
                }
                if (fs.getFileStatus(hp).isDirectory()) {
                    FileStatus[] parts = fs.listStatus(hp, f -> !f.getName().startsWith("_") && !f.getName().startsWith("."));
                    Arrays.sort(parts);
                    for (FileStatus part : parts) {
                        if (part.isFile()) {
                            out.put(file + "/" + part.getPath().getName(), DataFiles.sha256(p, part.getPath().getName()));
                        }
                    }
                } else {
                    out.put(file, DataFiles.sha256(spec.dir(), file));
                }
            } catch (IOException e) {
                throw new SpecException("cannot read data file " + p + ": " + DataFiles.describe(e), e);
            }
        }
        return out;
    }
}
