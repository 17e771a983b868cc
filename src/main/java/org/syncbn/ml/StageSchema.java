package org.syncbn.ml;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;

/**
 * The column checks of the estimator's and the model's transformSchema: every error names the
 * column, the type it has and the type expected, on one line.
 */
final class StageSchema {
    private StageSchema() {
    }

    static void requireVector(StructType schema, String column) {
        DataType t = field(schema, column).dataType();
        if (!t.equals(SQLDataTypes.VectorType())) {
            throw new IllegalArgumentException("column '" + column + "' is " + t.simpleString()
                    + ": expected vector (Spark ML VectorUDT, e.g. the output of VectorAssembler)");
        }
    }

    static void requireNumeric(StructType schema, String column) {
        DataType t = field(schema, column).dataType();
        if (!(t instanceof NumericType)) {
            throw new IllegalArgumentException("column '" + column + "' is " + t.simpleString()
                    + ": expected a numeric class index 0, 1, ... (e.g. the output of StringIndexer)");
        }
    }

    /** {@code schema} with the prediction (double) and probability (vector) columns appended. */
    static StructType withOutputs(StructType schema, String predictionCol, String probabilityCol) {
        for (String c : new String[] {predictionCol, probabilityCol}) {
            if (Arrays.asList(schema.fieldNames()).contains(c)) {
                throw new IllegalArgumentException("output column '" + c
                        + "' already exists in the input: expected a new column name");
            }
        }
        return schema.add(new StructField(predictionCol, DataTypes.DoubleType, false,
                        org.apache.spark.sql.types.Metadata.empty()))
                .add(new StructField(probabilityCol, SQLDataTypes.VectorType(), false,
                        org.apache.spark.sql.types.Metadata.empty()));
    }

    private static StructField field(StructType schema, String column) {
        if (!Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException("input has no column '" + column + "' (columns: "
                    + org.syncbn.data.FeatureColumns.brief(Arrays.asList(schema.fieldNames())) + ")");
        }
        return schema.apply(column);
    }
}
