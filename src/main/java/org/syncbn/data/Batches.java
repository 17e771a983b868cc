package org.syncbn.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Turns chosen examples into a DL4J minibatch of the network's data type. */
public final class Batches {
    private Batches() {
    }

    /** Minibatch of examples at {@code positions}, in that order; null when there are none. */
    public static DataSet of(Examples ex, int[] positions, DataType type) {
        return of(ex, positions, 0, positions.length, type);
    }

    /** Minibatch of {@code positions[from, to)}; null when the range is empty. */
    public static DataSet of(Examples ex, int[] positions, int from, int to, DataType type) {
        int n = to - from;
        if (n <= 0) {
            return null;
        }
        int f = ex.featureSize();
        int l = ex.labelSize();
        INDArray features;
        INDArray labels;
        if (type == DataType.DOUBLE) {
            double[] fb = new double[n * f];
            double[] lb = new double[n * l];
            for (int i = 0; i < n; i++) {
                ex.copyFeatures(positions[from + i], fb, i * f);
                ex.copyLabels(positions[from + i], lb, i * l);
            }
            features = Nd4j.create(fb, new long[] {n, f}, DataType.DOUBLE);
            labels = Nd4j.create(lb, new long[] {n, l}, DataType.DOUBLE);
        } else {
            float[] fb = new float[n * f];
            float[] lb = new float[n * l];
            for (int i = 0; i < n; i++) {
                ex.copyFeatures(positions[from + i], fb, i * f);
                ex.copyLabels(positions[from + i], lb, i * l);
            }
            features = Nd4j.create(fb, new long[] {n, f}, DataType.FLOAT);
            labels = Nd4j.create(lb, new long[] {n, l}, DataType.FLOAT);
        }
        return new DataSet(features, labels);
    }
}
