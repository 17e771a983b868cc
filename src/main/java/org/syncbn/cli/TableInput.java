package org.syncbn.cli;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.syncbn.config.SpecException;
import org.syncbn.data.FeatureColumns;
import org.syncbn.data.TableReader;
import org.syncbn.ml.FeatureVectors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The input table of predict and evaluate and the options that describe it: format, feature
 * columns, id columns, label column. Columns are checked against the file's schema up front.
 *
 * @param features feature columns; empty = every column but the ids and the label
 * @param ids      id columns; null = "id" when the table has one
 */
record TableInput(String path, String format, List<String> features, List<String> ids, String label) {
    static final String VECTOR_COL = "features";
    static final String OPTIONS_HELP = """
              --format F          csv | libsvm | parquet (default: from the input's extension)
              --features A,B,...  feature columns, in the order the model was trained on (default: every
                                  column but the id columns and the label column)
              --id-cols A,B,...   id columns to carry into the output (default: "id" when there is one)
              --label COL         label column (default: label); never taken as a feature
            """;

    static TableInput from(String command, String path, Args args) {
        String format = args.option("--format") != null ? args.option("--format") : TableReader.formatOf(path);
        if (format == null) {
            throw new SpecException(command + ": cannot tell the format of " + path
                    + " from its name: expected --format csv, libsvm or parquet");
        }
        if (!TableReader.FORMATS.contains(format)) {
            throw new SpecException(command + ": --format " + format + ": expected one of "
                    + String.join(", ", TableReader.FORMATS));
        }
        return new TableInput(path, format, names(args.option("--features")),
                args.option("--id-cols") == null ? null : names(args.option("--id-cols")),
                args.option("--label") != null ? args.option("--label") : "label");
    }

    private static List<String> names(String csv) {
        if (csv == null || csv.isBlank()) {
            return List.of();
        }
        return Arrays.stream(csv.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    Dataset<Row> read(SparkSession spark, int numFeatures) {
        return TableReader.read(spark, format, path, format.equals("libsvm") ? numFeatures : 0);
    }

    /** The id columns present: the given ones, or "id" when the table has one. */
    List<String> idColumns(Dataset<Row> table) {
        if (ids != null) {
            return ids;
        }
        return Arrays.asList(table.columns()).contains("id") ? List.of("id") : List.of();
    }

    /** @throws SpecException naming the file and the first of {@code ids} the table lacks */
    void requireIds(Dataset<Row> table, List<String> ids) {
        for (String id : ids) {
            if (!Arrays.asList(table.columns()).contains(id)) {
                throw new SpecException(path + ": no id column '" + id + "' (columns: "
                        + FeatureColumns.brief(Arrays.asList(table.columns())) + ")");
            }
        }
    }

    /**
     * Ids, then the label when {@code withLabel}, then the features as one vector column, which must
     * hold {@code modelWidth} values.
     *
     * @throws SpecException naming the file and the column that is missing or of the wrong type
     */
    Dataset<Row> vectors(Dataset<Row> table, boolean withLabel, int modelWidth) {
        List<String> idCols = idColumns(table);
        List<String> excluded = new ArrayList<>(idCols);
        boolean hasLabel = Arrays.asList(table.columns()).contains(label);
        if (hasLabel) {
            excluded.add(label);
        }
        FeatureColumns cols = FeatureColumns.of(path, table.schema(), features, withLabel ? label : null, excluded);
        requireIds(table, idCols);
        List<String> keep = new ArrayList<>(idCols);
        if (withLabel) {
            keep.add(label);
        }
        Dataset<Row> vectors = FeatureVectors.of(table, cols, keep, VECTOR_COL);
        // one row tells: a wrong feature count fails here, as bad input, not inside a scoring task
        List<Row> first = vectors.select(VECTOR_COL).limit(1).collectAsList();
        int width = first.isEmpty() ? modelWidth : ((org.apache.spark.ml.linalg.Vector) first.get(0).get(0)).size();
        if (width != modelWidth) {
            throw new SpecException(path + ": the model expects " + modelWidth + " features per row, found " + width
                    + " in " + (cols.features().size() == 1 ? "column " : "columns ")
                    + FeatureColumns.brief(cols.features()) + " (name them with --features)");
        }
        return vectors;
    }
}
