package org.syncbn.data;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.syncbn.config.SpecException;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * Reads a table file into a DataFrame: CSV (header line, types inferred), LibSVM (spark-mllib's
 * reader: columns label and features) or Parquet. A missing file is a one-line error naming it.
 */
public final class TableReader {
    /** The table formats, as data.format and the predict/evaluate commands spell them. */
    public static final List<String> FORMATS = List.of("csv", "libsvm", "parquet");

    private TableReader() {
    }

    /**
     * @param numFeatures LibSVM only: the vector size (0 = the largest index in the file); give the
     *                    training file's size for a test file, which may not use the last index
     */
    public static Dataset<Row> read(SparkSession spark, String format, String path, int numFeatures) {
        requireExists(spark, path);
        return switch (format) {
            case "csv" -> spark.read().option("header", "true").option("inferSchema", "true")
                    .option("mode", "FAILFAST").csv(path);
            case "libsvm" -> numFeatures > 0
                    ? spark.read().format("libsvm").option("numFeatures", numFeatures).load(path)
                    : spark.read().format("libsvm").load(path);
            case "parquet" -> spark.read().parquet(path);
            default -> throw new SpecException("data format '" + format + "' is not a table format: expected one of "
                    + String.join(", ", FORMATS));
        };
    }

    /** The format a file name suggests (.csv, .parquet, .libsvm/.svm/.txt), or null. */
    public static String formatOf(String path) {
        String p = path.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
        if (p.endsWith(".csv")) {
            return "csv";
        }
        if (p.endsWith(".parquet")) {
            return "parquet";
        }
        if (p.endsWith(".libsvm") || p.endsWith(".svm") || p.endsWith(".txt")) {
            return "libsvm";
        }
        return null;
    }

    private static void requireExists(SparkSession spark, String path) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(p)) {
                throw new SpecException("data file not found: " + path);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new SpecException("cannot open data file " + path + ": " + DataFiles.describe(e), e);
        }
    }
}
