package org.syncbn.data;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.syncbn.config.SpecException;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Which columns of a table hold an example's features and its label, checked against the table's
 * schema. A number column gives one feature, a vector or array-of-numbers column several; a single
 * string feature column (CSV) holds a whole vector written {@code [x1,x2,...]} or {@code x1 x2 ...}.
 *
 * @param source   the file or data set, for messages
 * @param features feature columns, in order
 * @param label    the label column, or null when only features are read (prediction)
 */
public record FeatureColumns(String source, List<String> features, String label) implements Serializable {
    static final String EXPECTED_FEATURE = "a number, a vector or an array of numbers";

    /**
     * Resolves and checks the columns.
     *
     * @param requested feature columns; empty = every column but the label and {@code excluded}
     * @param label     the label column, or null for none
     * @param excluded  columns never taken as features by default (ids)
     * @throws SpecException naming the source and the column that is missing or of the wrong type
     */
    public static FeatureColumns of(String source, StructType schema, List<String> requested, String label,
                                    Collection<String> excluded) {
        List<String> names = Arrays.asList(schema.fieldNames());
        if (label != null) {
            StructField f = field(source, schema, label);
            if (!(f.dataType() instanceof NumericType)) {
                throw new SpecException(source + ": label column '" + label + "' is " + f.dataType().simpleString()
                        + ": expected a number (a class index 0, 1, ...)");
            }
        }
        List<String> features = new ArrayList<>();
        if (requested.isEmpty()) {
            for (String n : names) {
                if (!n.equals(label) && !excluded.contains(n)) {
                    features.add(n);
                }
            }
            if (features.isEmpty()) {
                throw new SpecException(source + ": no feature columns besides the label (columns: "
                        + brief(names) + ")");
            }
        } else {
            features.addAll(requested);
        }
        for (String c : features) {
            DataType t = field(source, schema, c).dataType();
            boolean ok = t instanceof NumericType || t.equals(SQLDataTypes.VectorType())
                    || (t instanceof ArrayType a && a.elementType() instanceof NumericType)
                    || (t.equals(DataTypes.StringType) && features.size() == 1);
            if (!ok) {
                throw new SpecException(source + ": column '" + c + "' is " + t.simpleString() + ": expected "
                        + EXPECTED_FEATURE + (features.size() > 1 ? "" : " (or a string \"[x1,x2,...]\")"));
            }
        }
        return new FeatureColumns(source, List.copyOf(features), label);
    }

    private static StructField field(String source, StructType schema, String name) {
        if (!Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new SpecException(source + ": no column '" + name + "' (columns: "
                    + brief(Arrays.asList(schema.fieldNames())) + ")");
        }
        return schema.apply(name);
    }

    /**
     * Column names for a one-line message: up to eight all, else the first five, "...", the last and the
     * count ("pixel0, pixel1, pixel2, pixel3, pixel4, ..., pixel783 (784 columns)"): a table of images
     * has hundreds.
     */
    public static String brief(List<String> names) {
        if (names.size() <= 8) {
            return String.join(", ", names);
        }
        return String.join(", ", names.subList(0, 5)) + ", ..., " + names.get(names.size() - 1)
                + " (" + names.size() + " columns)";
    }

    /** The table reduced to the feature columns, then the label column when there is one. */
    public Dataset<Row> select(Dataset<Row> table) {
        List<Column> cols = new ArrayList<>();
        features.forEach(c -> cols.add(functions.col(c)));
        if (label != null) {
            cols.add(functions.col(label));
        }
        return table.select(cols.toArray(new Column[0]));
    }

    /** The feature values of a row of {@link #select}. */
    public double[] features(Row row) {
        return concat(parts(row, null));
    }

    /** The class index of a row of {@link #select}: a whole number in [0, numClasses). */
    public int label(Row row, int numClasses) {
        return label(row, numClasses, null);
    }

    /**
     * Every row as (features, class index), in table order, each checked by {@link TableRows}
     * (finite features, row 1's width, a label in range), so errors name the row.
     */
    public JavaRDD<LabeledVector> examples(Dataset<Row> table, int numClasses) {
        Dataset<Row> selected = select(table);
        TableRows rows = TableRows.of(this, selected, numClasses, 0, null, false);
        return selected.javaRDD().zipWithIndex().map(t -> rows.read(t._1(), t._2()));
    }

    /**
     * Each feature column's values in a row of {@link #select}, in column order.
     *
     * @param where the row, for messages ("row 17"), or null when unknown
     */
    double[][] parts(Row row, String where) {
        double[][] parts = new double[features.size()][];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = values(row, i, where);
        }
        return parts;
    }

    /** Whether feature column {@code i} of a row of {@link #select} holds one number (not a vector). */
    boolean isScalar(Row row, int i) {
        return row.get(i) instanceof Number;
    }

    /** {@link #label(Row, int)} naming the row ({@code where}, or null when unknown) in its errors. */
    int label(Row row, int numClasses, String where) {
        int at = features.size();
        if (row.isNullAt(at)) {
            throw new SpecException(source + ": " + (where == null ? "a row" : where) + " has no value in label column '"
                    + label + "'");
        }
        double v = ((Number) row.get(at)).doubleValue();
        if (v != Math.rint(v) || v < 0 || v >= numClasses) {
            throw new SpecException(source + ": " + (where == null ? "" : where + ": ") + "label column '" + label
                    + "' holds " + v + ": expected a class index, a whole number in [0, " + numClasses + ")");
        }
        return (int) v;
    }

    /** Up to three of the feature columns' names, for messages that must stay short. */
    String brief() {
        int shown = Math.min(3, features.size());
        StringBuilder sb = new StringBuilder(features.size() == 1 ? "column " : "columns ");
        for (int i = 0; i < shown; i++) {
            sb.append(i > 0 ? ", " : "").append('\'').append(features.get(i)).append('\'');
        }
        if (features.size() > shown) {
            sb.append(", ... (").append(features.size()).append(" columns)");
        }
        return sb.toString();
    }

    static double[] concat(double[][] parts) {
        if (parts.length == 1) {
            return parts[0];
        }
        int n = 0;
        for (double[] p : parts) {
            n += p.length;
        }
        double[] out = new double[n];
        int at = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private double[] values(Row row, int i, String where) {
        if (row.isNullAt(i)) {
            throw new SpecException(source + ": " + (where == null ? "a row" : where)
                    + " has no value in feature column '" + features.get(i) + "'");
        }
        Object v = row.get(i);
        if (v instanceof Number n) {
            return new double[] {n.doubleValue()};
        }
        if (v instanceof Vector vec) {
            return vec.toArray();
        }
        if (v instanceof String s) {
            return parseVector(s, features.get(i), where);
        }
        List<Object> list = row.getList(i);
        double[] out = new double[list.size()];
        for (int j = 0; j < out.length; j++) {
            if (list.get(j) == null) {
                throw new SpecException(source + ": " + (where == null ? "" : where + ": ") + "an array in column '"
                        + features.get(i) + "' holds null: expected numbers");
            }
            out[j] = ((Number) list.get(j)).doubleValue();
        }
        return out;
    }

    private double[] parseVector(String text, String column, String where) {
        String body = text.strip();
        if (body.startsWith("[") && body.endsWith("]")) {
            body = body.substring(1, body.length() - 1);
        }
        String[] tokens = body.strip().split("[,;\\s]+");
        double[] out = new double[tokens.length];
        for (int j = 0; j < tokens.length; j++) {
            try {
                out[j] = Double.parseDouble(tokens[j]);
            } catch (NumberFormatException e) {
                String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
                throw new SpecException(String.format(Locale.ROOT, "%s: %scolumn '%s' holds \"%s\": expected numbers "
                        + "\"[x1,x2,...]\" or \"x1 x2 ...\"", source, where == null ? "" : where + ": ", column, shown));
            }
        }
        return out;
    }
}
