package org.syncbn.network;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;

import java.io.Serializable;
import java.util.List;

/**
 * How a graph of several inputs or outputs takes an example kept as one flat features vector and one
 * flat labels vector: each holds its arrays one after another, each array flattened in C order; this
 * says their per-example shapes, so a batch of flat rows splits back into the graph's arrays.
 *
 * @param features per-example shape of each input array, in the graph's input order
 * @param labels   per-example shape of each label array, in the graph's output order
 */
public record MultiIo(List<long[]> features, List<long[]> labels) implements Serializable {

    /** The per-example shapes of {@code example}'s arrays (its first dimension is the batch). */
    public static MultiIo of(org.nd4j.linalg.dataset.api.MultiDataSet example) {
        return new MultiIo(shapes(example.getFeatures()), shapes(example.getLabels()));
    }

    private static List<long[]> shapes(INDArray[] arrays) {
        return java.util.Arrays.stream(arrays).map(a -> java.util.Arrays.copyOfRange(a.shape(), 1, a.rank())).toList();
    }

    /** Elements per example of the shapes, summed. */
    public static long size(List<long[]> shapes) {
        long n = 0;
        for (long[] s : shapes) {
            n += length(s);
        }
        return n;
    }

    private static long length(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** A batch of flat rows as the graph's arrays. */
    public MultiDataSet split(DataSet flat) {
        return new MultiDataSet(split(flat.getFeatures(), features), split(flat.getLabels(), labels));
    }

    private static INDArray[] split(INDArray rows, List<long[]> shapes) {
        long n = rows.size(0);
        INDArray[] out = new INDArray[shapes.size()];
        long from = 0;
        for (int i = 0; i < out.length; i++) {
            long len = length(shapes.get(i));
            INDArray part = rows.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + len)).dup('c');
            long[] shape = new long[shapes.get(i).length + 1];
            shape[0] = n;
            System.arraycopy(shapes.get(i), 0, shape, 1, shapes.get(i).length);
            out[i] = part.reshape('c', shape);
            from += len;
        }
        return out;
    }
}
