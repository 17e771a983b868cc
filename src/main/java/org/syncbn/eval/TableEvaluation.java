package org.syncbn.eval;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.syncbn.config.SpecException;

import java.util.ArrayList;
import java.util.List;

/**
 * Metrics of a scored table (label, probability vector per row), summed per partition on the
 * executors; only one small {@link EvalResult} per partition reaches the driver.
 */
public final class TableEvaluation {
    private static final int CHUNK = 500;

    private TableEvaluation() {
    }

    /**
     * @param labelCol a numeric column of class indices in [0, classes)
     */
    public static EvalResult of(Dataset<Row> scored, String labelCol, String probabilityCol, int classes) {
        List<EvalResult> parts = scored.select(labelCol, probabilityCol).javaRDD().mapPartitions(rows -> {
            EvalResult total = EvalResult.empty(classes);
            List<double[]> probs = new ArrayList<>();
            List<double[]> labels = new ArrayList<>();
            while (rows.hasNext()) {
                Row r = rows.next();
                double[] oneHot = new double[classes];
                oneHot[classIndex(r, labelCol, classes)] = 1;
                labels.add(oneHot);
                probs.add(((Vector) r.get(1)).toArray());
                if (probs.size() == CHUNK || !rows.hasNext()) {
                    total = total.plus(Evaluator.score(probs.toArray(new double[0][]), labels.toArray(new double[0][]),
                            classes));
                    probs.clear();
                    labels.clear();
                }
            }
            return List.of(total).iterator();
        }).collect();
        EvalResult total = EvalResult.empty(classes);
        for (EvalResult p : parts) {
            total = total.plus(p);
        }
        return total;
    }

    private static int classIndex(Row r, String labelCol, int classes) {
        if (r.isNullAt(0)) {
            throw new SpecException("label column '" + labelCol + "' is empty in a row: expected a class index");
        }
        double v = ((Number) r.get(0)).doubleValue();
        if (v != Math.rint(v) || v < 0 || v >= classes) {
            throw new SpecException("label column '" + labelCol + "' holds " + v
                    + ": expected a class index, a whole number in [0, " + classes + ")");
        }
        return (int) v;
    }
}
