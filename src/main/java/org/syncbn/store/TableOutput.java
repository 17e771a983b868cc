package org.syncbn.store;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.syncbn.config.SpecException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.UUID;

/**
 * Writes a scored table all-or-nothing, never over an existing path:
 * <ul>
 *   <li>one CSV file with a header ({@code out/pred.csv}, or any name with {@code csv} as the format):
 *       the rows in their order, written by one task into a hidden sibling directory, whose single part
 *       file is then renamed to the output;</li>
 *   <li>a directory of part files, for tables too big for one file: Parquet (any name not ending in
 *       .csv, or the parquet format), or CSV when the path ends in '/' ({@code out/pred.csv/}). Spark
 *       writes a hidden sibling directory, which is renamed to the output once complete.</li>
 * </ul>
 * A reader never sees a partial output.
 */
public final class TableOutput {
    private TableOutput() {
    }

    /** The format an output path suggests: csv for a name ending in .csv (with or without a final '/'), else parquet. */
    public static String formatOf(String output) {
        return output.toLowerCase(Locale.ROOT).replaceAll("/+$", "").endsWith(".csv") ? "csv" : "parquet";
    }

    /** Whether {@code output} in {@code format} is a directory of part files rather than one file. */
    public static boolean isDirectory(String output, String format) {
        return format.equals("parquet") || output.endsWith("/");
    }

    public static void write(Dataset<Row> table, String format, String output, Configuration conf) {
        if (!format.equals("csv") && !format.equals("parquet")) {
            throw new SpecException("output format '" + format + "': expected csv or parquet");
        }
        boolean directory = isDirectory(output, format);
        Path out = new Path(output.replaceAll("(?<=.)/+$", ""));
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
            if (directory) {
                table.write().format(format).option("header", "true").save(tmp.toString());
                publish(fs, tmp, out, output);
            } else {
                writeOneCsv(table, fs, tmp, out, output);
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

    /**
     * One CSV file: the rows are computed in parallel and kept, then one task writes them in their
     * order (coalescing first would score the whole table in that one task).
     */
    private static void writeOneCsv(Dataset<Row> table, FileSystem fs, Path tmp, Path out, String output)
            throws IOException {
        Dataset<Row> kept = table.persist(StorageLevel.MEMORY_AND_DISK());
        try {
            kept.count();
            kept.coalesce(1).write().format("csv").option("header", "true").save(tmp.toString());
        } finally {
            kept.unpersist(false);
        }
        Path part = null;
        for (FileStatus f : fs.listStatus(tmp)) {
            String name = f.getPath().getName();
            if (name.startsWith("part-") && f.isFile()) {
                part = f.getPath();
            }
        }
        if (part == null) {
            // Spark writes no part file for an empty table: the header alone
            part = new Path(tmp, "header.csv");
            try (var o = fs.create(part, false)) {
                o.write((String.join(",", table.columns()) + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        publish(fs, part, out, output);
    }

    /** Renames the finished {@code from} to {@code out}; locally without Hadoop's .crc sidecar. */
    private static void publish(FileSystem fs, Path from, Path out, String output) throws IOException {
        FileSystem target = fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
        if (!target.rename(from, out)) {
            throw new SpecException("cannot move the finished output " + from + " to " + output
                    + (target.exists(out) ? ": it appeared meanwhile" : ""));
        }
    }
}
