package org.syncbn.train;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.syncbn.config.SpecException;

import java.util.Arrays;
import java.util.Map;

/**
 * Starts a job's freshly built network from a stored model's parameters (BN running statistics
 * included: DL4J keeps them among the parameters). A model.zip holds standard BatchNormalization
 * layers where the job builds SyncBatchNormalization; both have the same parameters, so only
 * the layer-by-layer parameter names and shapes have to agree. The updater state starts fresh.
 */
public final class WarmStart {
    private WarmStart() {
    }

    /**
     * Copies {@code from}'s parameters into {@code into}.
     *
     * @param what names {@code from} in messages (its path)
     * @throws SpecException when the two networks differ in layers, parameter names or shapes
     */
    public static void apply(MultiLayerNetwork into, MultiLayerNetwork from, String what) {
        check(into, from, what);
        into.setParams(from.params().castTo(into.params().dataType()));
    }

    /** Fails as {@link #apply} would, changing nothing. */
    public static void check(MultiLayerNetwork into, MultiLayerNetwork from, String what) {
        if (into.getnLayers() != from.getnLayers()) {
            throw new SpecException("warm start from " + what + ": it has " + from.getnLayers()
                    + " layers, the job's network " + into.getnLayers() + " (did the model section change?)");
        }
        for (int i = 0; i < into.getnLayers(); i++) {
            Map<String, INDArray> a = into.getLayer(i).paramTable();
            Map<String, INDArray> b = from.getLayer(i).paramTable();
            if (!a.keySet().equals(b.keySet())) {
                throw new SpecException("warm start from " + what + ": layer " + i + " has parameters " + b.keySet()
                        + ", the job's network " + a.keySet() + " (bn.useLogStd or the model section changed?)");
            }
            for (String key : a.keySet()) {
                if (!Arrays.equals(a.get(key).shape(), b.get(key).shape())) {
                    throw new SpecException("warm start from " + what + ": layer " + i + " parameter " + key
                            + " has shape " + Arrays.toString(b.get(key).shape()) + ", the job's network "
                            + Arrays.toString(a.get(key).shape()) + " (did the model section or the data change?)");
                }
            }
        }
    }
}
