package org.syncbn.network;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.List;
import java.util.Map;

/**
 * A DL4J {@link Gradient} over a network's flattened gradient view, keyed "layer_param" as a backward
 * pass keys it (the updater splits it by those names), each entry a view of its slice.
 */
final class FlatGradient {
    private FlatGradient() {
    }

    /** @param names each layer's name in the gradient keys (an MLN's index, a graph's vertex name) */
    static Gradient of(INDArray flat, List<Layer> layers, List<String> names) {
        DefaultGradient g = new DefaultGradient(flat);
        long offset = 0;
        INDArray row = flat.reshape(flat.length());
        for (int i = 0; i < layers.size(); i++) {
            for (Map.Entry<String, INDArray> p : layers.get(i).paramTable().entrySet()) {
                long n = p.getValue().length();
                g.setGradientFor(names.get(i) + "_" + p.getKey(), row.get(NDArrayIndex.interval(offset, offset + n)));
                offset += n;
            }
        }
        return g;
    }
}
