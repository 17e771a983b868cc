package org.syncbn.ml;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.syncbn.network.Network;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.eval.Evaluator;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Scores one partition's rows in inference mode, a batch of rows per network call, appending the
 * predicted class (as a double, Spark ML's convention) and the class probabilities to each row.
 * Lazy: it holds one batch at a time, so a partition of any size streams through.
 */
final class PartitionScorer implements Iterator<Row> {
    private final Iterator<Row> rows;
    private final Network net;
    private final int featuresIndex;
    private final String featuresCol;
    private final int batchSize;
    private final int numFeatures;
    private Iterator<Row> scored = java.util.Collections.emptyIterator();

    PartitionScorer(Iterator<Row> rows, Network net, int numFeatures, int featuresIndex, String featuresCol,
                    int batchSize) {
        this.rows = rows;
        this.net = net;
        this.featuresIndex = featuresIndex;
        this.featuresCol = featuresCol;
        this.batchSize = batchSize;
        this.numFeatures = numFeatures;
    }

    @Override
    public boolean hasNext() {
        if (!scored.hasNext() && rows.hasNext()) {
            scored = nextBatch();
        }
        return scored.hasNext();
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return scored.next();
    }

    private Iterator<Row> nextBatch() {
        List<Row> batch = new ArrayList<>(batchSize);
        while (batch.size() < batchSize && rows.hasNext()) {
            batch.add(rows.next());
        }
        double[] x = new double[batch.size() * numFeatures];
        for (int i = 0; i < batch.size(); i++) {
            Row r = batch.get(i);
            if (r.isNullAt(featuresIndex)) {
                throw new IllegalArgumentException("column '" + featuresCol + "' is null in a row: expected a vector");
            }
            double[] v = ((Vector) r.get(featuresIndex)).toArray();
            if (v.length != numFeatures) {
                throw new IllegalArgumentException("column '" + featuresCol + "' holds a vector of size " + v.length
                        + ": expected size " + numFeatures + ", the model's input width");
            }
            System.arraycopy(v, 0, x, i * numFeatures, numFeatures);
        }
        DataType type = net.dataType();
        INDArray input = Nd4j.create(x, new long[] {batch.size(), numFeatures}, DataType.DOUBLE).castTo(type);
        double[][] probs = net.output(input).toDoubleMatrix();
        List<Row> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Row r = batch.get(i);
            Object[] values = new Object[r.length() + 2];
            for (int j = 0; j < r.length(); j++) {
                values[j] = r.get(j);
            }
            values[r.length()] = (double) Evaluator.argMax(probs[i]);
            values[r.length() + 1] = Vectors.dense(probs[i]);
            out.add(RowFactory.create(values));
        }
        return out.iterator();
    }
}
