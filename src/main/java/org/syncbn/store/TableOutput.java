package org.syncbn.store;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.syncbn.config.SpecException;

import java.io.IOException;
import java.util.UUID;

/**
 * Writes a DataFrame as a Parquet or CSV directory all-or-nothing: Spark writes a hidden sibling
 * directory, which is renamed to the output path once complete, so a reader never sees a partial
 * output. An existing output is never overwritten.
 */
public final class TableOutput {
    private TableOutput() {
    }

    /** The format an output path suggests: csv for a .csv name, parquet otherwise. */
    public static String formatOf(String output) {
        return output.toLowerCase(java.util.Locale.ROOT).replaceAll("/+$", "").endsWith(".csv") ? "csv" : "parquet";
    }

    public static void write(Dataset<Row> table, String format, String output, Configuration conf) {
        if (!format.equals("csv") && !format.equals("parquet")) {
            throw new SpecException("output format '" + format + "': expected csv or parquet");
        }
        Path out = new Path(output);
        FileSystem fs;
        try {
            fs = out.getFileSystem(conf);
            if (fs.exists(out)) {
                throw new SpecException("output " + output + " already exists: expected a new path");
            }
        } catch (IOException e) {
            throw new SpecException("cannot write output " + output + ": " + e.getMessage(), e);
        }
        Path parent = out.getParent() == null ? new Path(".") : out.getParent();
        Path tmp = new Path(parent, "." + out.getName() + ".tmp-" + UUID.randomUUID());
        try {
            table.write().format(format).option("header", "true").save(tmp.toString());
            if (!fs.rename(tmp, out)) {
                throw new SpecException("cannot move the finished output " + tmp + " to " + output);
            }
        } catch (IOException e) {
            throw new SpecException("cannot write output " + output + ": " + e.getMessage(), e);
        } finally {
            try {
                fs.delete(tmp, true);
            } catch (IOException ignored) {
                // the temporary directory is hidden; a leftover does no harm to the output
            }
        }
    }
}
