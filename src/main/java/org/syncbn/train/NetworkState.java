package org.syncbn.train;

import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Moves a network's flat parameters and updater state in and out as double arrays. */
public final class NetworkState {
    private NetworkState() {
    }

    /** Loads parameters and (when non-empty) updater state into {@code net}, cast to its data type. */
    public static void load(MultiLayerNetwork net, double[] params, double[] updater) {
        INDArray current = net.params();
        net.setParams(Nd4j.create(params).reshape(current.shape()).castTo(current.dataType()));
        INDArray state = updaterState(net);
        if (state != null && updater.length > 0) {
            state.assign(Nd4j.create(updater).reshape(state.shape()).castTo(state.dataType()));
        }
    }

    public static double[] params(MultiLayerNetwork net) {
        return net.params().toDoubleVector();
    }

    /** The flat updater state; empty for updaters without state (plain SGD). */
    public static double[] updater(MultiLayerNetwork net) {
        INDArray state = updaterState(net);
        return state == null ? new double[0] : state.toDoubleVector();
    }

    private static INDArray updaterState(MultiLayerNetwork net) {
        Updater updater = net.getUpdater(true);
        return updater == null ? null : updater.getStateViewArray();
    }

    /** Values exactly representable in {@code type} (doubles rounded to float for float networks). */
    public static double[] roundTo(org.nd4j.linalg.api.buffer.DataType type, double[] values) {
        if (type != org.nd4j.linalg.api.buffer.DataType.FLOAT) {
            return values;
        }
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
