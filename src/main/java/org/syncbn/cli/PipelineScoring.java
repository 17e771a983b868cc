package org.syncbn.cli;

import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.syncbn.config.SpecException;
import org.syncbn.store.TableOutput;

/**
 * A saved PipelineModel applied to a table as it is (its own stages assemble and scale the features).
 * What its stages refuse about the table, a column it lacks or of a type it cannot take, up front or
 * in a row, is bad input: one line naming the table, the model and the stage's own reason.
 */
final class PipelineScoring {
    private PipelineScoring() {
    }

    static Dataset<Row> transform(PipelineModel pipeline, Dataset<Row> table, String input, String model) {
        try {
            return pipeline.transform(table);   // checks the schema through every stage now
        } catch (Exception e) {   // Scala throws AnalysisException (checked in Java) undeclared
            if (e instanceof IllegalArgumentException || e instanceof org.apache.spark.sql.AnalysisException) {
                throw refused(input, model, e);
            }
            throw e;
        }
    }

    /** Writes the scored table; a row a stage refuses (e.g. a null or NaN the assembler rejects) is bad input. */
    static void write(Dataset<Row> scored, String format, String output, SparkSession spark, String input,
                      String model) {
        try {
            TableOutput.write(scored, format, output, spark.sparkContext().hadoopConfiguration());
        } catch (RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            // a task's own exception is the root cause; a lost executor's abort has none (root == e)
            if (root != e && (root instanceof IllegalArgumentException || root instanceof org.apache.spark.SparkException)) {
                throw refused(input, model, root);
            }
            throw e;
        }
    }

    private static SpecException refused(String input, String model, Throwable e) {
        String m = String.valueOf(e.getMessage()).strip();
        int nl = m.indexOf('\n');
        return new SpecException(input + ": the PipelineModel " + model + " cannot score this table: "
                + (nl < 0 ? m : m.substring(0, nl).strip()), e);
    }
}
