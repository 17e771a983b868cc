package org.syncbn.data;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.syncbn.config.SpecException;

import java.util.List;

/**
 * Turns the rows of a table, numbered in the order Spark reads it, into examples, refusing a row
 * whose features are not finite or not the expected number, with one line naming the file, the row
 * (counted from 1, a CSV header not counted) and the column. Checked on the executors for every
 * row, whichever shard it goes to: one NaN would poison every worker's BN statistics in one step,
 * and a row of another width would fail deep inside DL4J.
 *
 * @param columns    the feature and label columns
 * @param numClasses labels must lie in [0, numClasses)
 * @param width      the features every row must have
 * @param why        why that many, for messages ("as row 1 has", "= 3x32x32 (data.imageShape)")
 * @param firstParts row 1's values per feature column when the width is row 1's (names the column
 *                   that differs), else null
 * @param sparse     LibSVM: a row's vector holds the file's largest index; indices past
 *                   {@code width} must be absent (zero), a shorter vector is padded with zeros
 */
public record TableRows(FeatureColumns columns, int numClasses, int width, String why, int[] firstParts,
                        boolean sparse) implements RowShards.RowReader<Row> {

    /**
     * The checks for the rows of {@code selected} (a {@link FeatureColumns#select}), reading its
     * first row now, on the driver: it must exist, and gives the width when none is given.
     *
     * @param width features every row must have; 0 = row 1's
     * @param why   why {@code width} (ignored when 0)
     */
    public static TableRows of(FeatureColumns columns, Dataset<Row> selected, int numClasses, int width, String why,
                               boolean sparse) {
        List<Row> first = selected.takeAsList(1);
        if (first.isEmpty()) {
            throw new SpecException(columns.source() + " has no rows: expected at least one example");
        }
        TableRows rows;
        if (width > 0) {
            rows = new TableRows(columns, numClasses, width, why, null, sparse);
        } else {
            double[][] parts = columns.parts(first.get(0), "row 1");
            int[] widths = new int[parts.length];
            int n = 0;
            for (int i = 0; i < parts.length; i++) {
                widths[i] = parts[i].length;
                n += widths[i];
            }
            if (n == 0) {
                throw new SpecException(columns.source() + ": row 1 has no features (" + columns.brief()
                        + "): expected at least one");
            }
            rows = new TableRows(columns, numClasses, n, "as row 1 has", widths, sparse);
        }
        rows.read(first.get(0), 0);
        return rows;
    }

    /** Row {@code index} (0-based, in table order) as an example, or a one-line SpecException. */
    @Override
    public LabeledVector read(Row row, long index) {
        String where = "row " + (index + 1);
        double[][] parts = columns.parts(row, where);
        if (sparse) {
            parts[0] = fitSparse(parts[0], where);
        } else {
            checkWidth(parts, where);
        }
        for (int i = 0; i < parts.length; i++) {
            double[] p = parts[i];
            for (int j = 0; j < p.length; j++) {
                if (!Double.isFinite(p[j])) {
                    throw new SpecException(columns.source() + ": " + where + ", " + element(row, i, j) + " holds "
                            + p[j] + ": expected a finite number");
                }
            }
        }
        return new LabeledVector(FeatureColumns.concat(parts), columns.label(row, numClasses, where));
    }

    private void checkWidth(double[][] parts, String where) {
        int n = 0;
        for (double[] p : parts) {
            n += p.length;
        }
        if (n == width) {
            return;
        }
        String detail = " (" + columns.brief() + ")";
        if (firstParts != null) {
            for (int i = 0; i < parts.length; i++) {
                if (parts[i].length != firstParts[i]) {
                    detail = ": column '" + columns.features().get(i) + "' holds " + parts[i].length
                            + " values, in row 1 " + firstParts[i];
                    break;
                }
            }
        }
        throw new SpecException(columns.source() + ": " + where + " has " + n + " features, expected " + width + " "
                + why + detail);
    }

    /** A LibSVM vector at exactly {@code width}: absent trailing indices are zeros, present ones past it refused. */
    private double[] fitSparse(double[] v, String where) {
        if (v.length == width) {
            return v;
        }
        for (int j = v.length - 1; j >= width; j--) {
            if (v[j] != 0) {
                throw new SpecException(columns.source() + ": " + where + " has feature index " + (j + 1)
                        + ", expected indices 1.." + width + " " + why);
            }
        }
        return java.util.Arrays.copyOf(v, width);
    }

    /** The column (and element of a vector column) a feature value came from, for messages. */
    private String element(Row row, int column, int j) {
        String name = columns.features().get(column);
        if (sparse) {
            return "feature index " + (j + 1) + " (column '" + name + "')";
        }
        return columns.isScalar(row, column) ? "column '" + name + "'"
                : "column '" + name + "' element " + j + " (0-based)";
    }
}
