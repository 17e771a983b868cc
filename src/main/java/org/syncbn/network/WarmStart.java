package org.syncbn.network;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.syncbn.config.SpecException;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;

/**
 * Starts a job's freshly built network from a stored model's parameters (BN running statistics
 * included: DL4J keeps them among the parameters). A model.zip holds standard BatchNormalization
 * layers where the job builds SyncBatchNormalization; both have the same parameters. Parameters are
 * matched by DL4J's names ("layer_param"), never by position, so a graph whose vertices are declared
 * in another order still starts from the right values. The updater state starts fresh.
 */
public final class WarmStart {
    private WarmStart() {
    }

    /**
     * Copies {@code from}'s parameters into {@code into}.
     *
     * @param what names {@code from} in messages (its path)
     * @throws SpecException when the two networks differ in parameter names or shapes
     */
    public static void apply(Network into, Network from, String what) {
        check(into, from, what);
        Map<String, INDArray> target = into.paramTable();
        Map<String, INDArray> source = from.paramTable();
        for (Map.Entry<String, INDArray> e : target.entrySet()) {
            e.getValue().assign(source.get(e.getKey()).castTo(e.getValue().dataType()));
        }
    }

    /** Fails as {@link #apply} would, changing nothing. */
    public static void check(Network into, Network from, String what) {
        Map<String, INDArray> a = into.paramTable();
        Map<String, INDArray> b = from.paramTable();
        if (!a.keySet().equals(b.keySet())) {
            TreeSet<String> missing = new TreeSet<>(a.keySet());
            missing.removeAll(b.keySet());
            TreeSet<String> extra = new TreeSet<>(b.keySet());
            extra.removeAll(a.keySet());
            throw new SpecException("warm start from " + what + ": "
                    + (missing.isEmpty() ? "" : "it lacks the job network's parameters " + first(missing))
                    + (missing.isEmpty() || extra.isEmpty() ? "" : " and ")
                    + (extra.isEmpty() ? "" : "it has parameters the job's network lacks " + first(extra))
                    + " (did the model section or bn.useLogStd change?)");
        }
        for (String key : new TreeSet<>(a.keySet())) {
            if (!Arrays.equals(a.get(key).shape(), b.get(key).shape())) {
                throw new SpecException("warm start from " + what + ": parameter " + key + " has shape "
                        + Arrays.toString(b.get(key).shape()) + ", the job's network "
                        + Arrays.toString(a.get(key).shape()) + " (did the model section or the data change?)");
            }
        }
    }

    private static String first(TreeSet<String> names) {
        return names.size() <= 4 ? names.toString() : names.headSet(new java.util.ArrayList<>(names).get(4)) + " ...";
    }
}
