package org.syncbn.network;

import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.syncbn.config.SpecException;

import java.util.Arrays;
import java.util.List;
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
    public static void apply(Network into, Network from, String what) {
        check(into, from, what);
        into.setParams(from.params());
    }

    /** Fails as {@link #apply} would, changing nothing. */
    public static void check(Network into, Network from, String what) {
        List<Layer> a = into.layers();
        List<Layer> b = from.layers();
        if (a.size() != b.size()) {
            throw new SpecException("warm start from " + what + ": it has " + b.size()
                    + " layers, the job's network " + a.size() + " (did the model section change?)");
        }
        for (int i = 0; i < a.size(); i++) {
            Map<String, INDArray> pa = a.get(i).paramTable();
            Map<String, INDArray> pb = b.get(i).paramTable();
            if (!pa.keySet().equals(pb.keySet())) {
                throw new SpecException("warm start from " + what + ": layer " + i + " has parameters " + pb.keySet()
                        + ", the job's network " + pa.keySet() + " (bn.useLogStd or the model section changed?)");
            }
            for (String key : pa.keySet()) {
                if (!Arrays.equals(pa.get(key).shape(), pb.get(key).shape())) {
                    throw new SpecException("warm start from " + what + ": layer " + i + " parameter " + key
                            + " has shape " + Arrays.toString(pb.get(key).shape()) + ", the job's network "
                            + Arrays.toString(pa.get(key).shape()) + " (did the model section or the data change?)");
                }
            }
        }
    }
}
