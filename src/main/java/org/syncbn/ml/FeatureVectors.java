package org.syncbn.ml;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.syncbn.data.FeatureColumns;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a table's feature columns (numbers, vectors, arrays or a vector string) into the one vector
 * column a {@link SyncBnClassificationModel} scores, keeping the columns the output needs (ids, label).
 */
public final class FeatureVectors {
    private FeatureVectors() {
    }

    /** Columns {@code keep}, in order, then the features as vector column {@code vectorCol}. */
    public static Dataset<Row> of(Dataset<Row> table, FeatureColumns features, List<String> keep, String vectorCol) {
        List<Column> cols = new ArrayList<>();
        features.features().forEach(c -> cols.add(functions.col(c)));
        keep.forEach(c -> cols.add(functions.col(c)));
        Dataset<Row> selected = table.select(cols.toArray(new Column[0]));
        StructType schema = new StructType();
        for (String k : keep) {
            schema = schema.add(table.schema().apply(k));
        }
        schema = schema.add(vectorCol, SQLDataTypes.VectorType(), false);
        int f = features.features().size();
        JavaRDD<Row> rows = selected.javaRDD().map(r -> {
            Object[] values = new Object[keep.size() + 1];
            for (int i = 0; i < keep.size(); i++) {
                values[i] = r.get(f + i);
            }
            values[keep.size()] = Vectors.dense(features.features(r));
            return RowFactory.create(values);
        });
        return table.sparkSession().createDataFrame(rows, schema);
    }
}
