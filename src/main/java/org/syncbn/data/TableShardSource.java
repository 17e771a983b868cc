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

/**
 * Training and test tables (CSV, LibSVM, Parquet) read by Spark's readers in parallel, their
 * columns checked against data.featureCols and data.labelCol, then sharded by {@link RowShards}.
 */
public final class TableShardSource implements ShardSource {
    private final JobSpec.DataSpec spec;

    public TableShardSource(JobSpec.DataSpec spec) {
        this.spec = spec;
    }

    @Override
    public JavaRDD<Shard> training(JavaSparkContext sc, int workers, int maxExamples, long seed, boolean shuffle) {
        return shards(spec.trainFile(), 0, workers, maxExamples, seed, shuffle);
    }

    @Override
    public JavaRDD<Shard> test(JavaSparkContext sc, int workers, int maxExamples) {
        // a LibSVM test file need not use the last feature index: give it the training file's width
        int width = spec.format() == JobSpec.DataFormat.LIBSVM
                ? libsvmWidth(read(spark(), spec.trainFile(), 0), path(spec.trainFile())) : 0;
        return shards(spec.testFile(), width, workers, maxExamples, 0L, false);
    }

    private JavaRDD<Shard> shards(String file, int width, int workers, int maxExamples,
                                  long seed, boolean shuffle) {
        Dataset<Row> table = read(spark(), file, width);
        FeatureColumns cols = FeatureColumns.of(path(file), table.schema(), spec.featureCols(), spec.labelCol(),
                List.of());
        return RowShards.of(cols.examples(table, spec.numClasses()), workers, spec.numClasses(), maxExamples,
                seed, shuffle);
    }

    private Dataset<Row> read(SparkSession spark, String file, int width) {
        return TableReader.read(spark, spec.format().key(), path(file), width);
    }

    private String path(String file) {
        return DataFiles.resolve(spec.dir(), file);
    }

    /** The session over the running context (getOrCreate never starts a second context). */
    private static SparkSession spark() {
        return SparkSession.builder().getOrCreate();
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
