package org.syncbn.network;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.bn.SyncBatchNormalizationLayer;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A DL4J network (a MultiLayerNetwork or a ComputationGraph) behind one seam. Everything the project
 * does to a network goes through here: its
 * state in and out as flat double arrays (parameters incl. BN running statistics, updater state),
 * one optimizer step, inference, its BatchNorm layers, the swap between DL4J's and the synchronized
 * BN layer class, reading and writing DL4J's model zip.
 */
public interface Network {

    /** The network {@code model} is, behind this seam, taking flat features. */
    static Network of(Model model) {
        if (model instanceof MultiLayerNetwork mln) {
            return new LayeredNetwork(mln, InputLayout.FLAT);
        }
        if (model instanceof ComputationGraph graph) {
            return new GraphNetwork(graph, InputLayout.FLAT);
        }
        throw new IllegalArgumentException("unsupported network type " + model.getClass().getName());
    }

    /** A freshly initialised network of a configuration JSON written by DL4J's {@code toJson()} (either kind). */
    static Network fromJson(String configurationJson) {
        return fromJson(configurationJson, InputLayout.FLAT);
    }

    /** {@link #fromJson(String)}, taking its inputs in {@code layout}. */
    static Network fromJson(String configurationJson, InputLayout layout) {
        return fromJson(configurationJson, layout, null);
    }

    /** {@link #fromJson(String, InputLayout)}, for a graph of several inputs or outputs when {@code multi} is given. */
    static Network fromJson(String configurationJson, InputLayout layout, MultiIo multi) {
        return NetworkJson.isGraph(configurationJson) ? GraphNetwork.fromJson(configurationJson, layout, multi)
                : LayeredNetwork.fromJson(configurationJson, layout);
    }

    /**
     * The network of a DL4J model zip (either kind), with its updater state when {@code withUpdater}.
     * Every Java-serialised entry is checked against an allow-list first, and DL4J deserialises none
     * ({@link ModelZip}).
     *
     * @throws org.syncbn.config.SpecException (not naming the file: the caller does) when an entry
     *         carries a class or passes a limit the allow-list refuses
     */
    static Network read(File zip, boolean withUpdater) throws IOException {
        return read(ModelZip.read(zip), withUpdater);
    }

    private static Network read(ModelZip zip, boolean withUpdater) throws IOException {
        return NetworkJson.isGraph(zip.configuration()) ? GraphNetwork.read(zip, withUpdater)
                : LayeredNetwork.read(zip, withUpdater);
    }

    /**
     * The value a model zip holds under {@code key} ({@code ModelSerializer.addObjectToFile}), read under
     * the same allow-list; null when there is none.
     */
    static Object storedObject(File zip, String key) throws IOException {
        return ModelZip.read(zip).objects().get(key);
    }

    /** Values exactly representable in {@code type}: doubles rounded to float for float networks. */
    static double[] roundTo(DataType type, double[] values) {
        if (type != DataType.FLOAT) {
            return values;
        }
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    /** DL4J's own object, for what this seam does not cover. */
    Model dl4j();

    /** The configuration as DL4J's JSON; {@link #fromJson} rebuilds an equal network from it. */
    String configurationJson();

    /** How the flat features that {@link #fit}, {@link #output} and {@link #bnInput} take become the network's input. */
    InputLayout inputLayout();

    /** This network (the same DL4J object) taking its input in {@code layout}. */
    Network withInputLayout(InputLayout layout);

    /** What a worker needs to build this network: its configuration and input layout. */
    default Blueprint blueprint() {
        return new Blueprint(configurationJson(), inputLayout(), multiIo());
    }

    /** How a graph of several inputs or outputs splits flat examples, or null (one input, one output). */
    default MultiIo multiIo() {
        return null;
    }

    /** This graph taking flat examples split as {@code io} says ({@link #fit} only). */
    default Network withMultiIo(MultiIo io) {
        throw new UnsupportedOperationException("only a ComputationGraph has several inputs or outputs");
    }

    /** DL4J's parameters by name ("layer_param"): what survives reordering a graph's definition. */
    default Map<String, INDArray> paramTable() {
        return dl4j().paramTable();
    }

    default DataType dataType() {
        return dl4j().params().dataType();
    }

    /** The flat parameter vector (incl. BN running statistics), in DL4J's order. */
    default double[] params() {
        return dl4j().params().toDoubleVector();
    }

    /** Sets the parameters, cast to the network's data type. */
    default void setParams(double[] params) {
        INDArray current = dl4j().params();
        dl4j().setParams(Nd4j.create(params).reshape(current.shape()).castTo(current.dataType()));
    }

    /** The live flat updater state of DL4J's updater, or null (no updater, or one without state). */
    INDArray updaterView();

    /** The flat updater state; empty for updaters without state (plain SGD). */
    default double[] updaterState() {
        INDArray state = updaterView();
        return state == null ? new double[0] : state.toDoubleVector();
    }

    /** Loads parameters and (when non-empty) updater state, cast to the network's data type. */
    default void load(double[] params, double[] updater) {
        setParams(params);
        INDArray state = updaterView();
        if (state != null && updater.length > 0) {
            state.assign(Nd4j.create(updater).reshape(state.shape()).castTo(state.dataType()));
        }
    }

    /** One optimizer step on {@code batch} of flat features (forward, backward, update). */
    void fit(DataSet batch);

    /** The loss of the last step, as DL4J reports it (mean over the batch). */
    double score();

    /**
     * The flattened gradient view: after a backward pass the sums over the batch (and each BN layer's
     * running-statistics "gradient", old − new), which the updater turns into the step in place.
     */
    INDArray gradientView();

    /**
     * Whether DL4J's updater divides the gradient by the local batch size before the step (its
     * minibatch setting, on by default); off when the caller divides by the global batch itself.
     */
    void divideGradientsByBatch(boolean divide);

    /** Makes {@code listener} the network's only DL4J training listener (called during {@link #fit}); null: none. */
    void listenWith(org.deeplearning4j.optimize.api.TrainingListener listener);

    /**
     * The optimizer's step on the current {@link #gradientView} without a forward or backward pass, as
     * DL4J's stochastic gradient descent takes it after one: the updater (regularisation, gradient
     * normalisation, the update rule) at {@code iteration}/{@code epoch}, then params −= update.
     */
    void stepOnGradient(int iteration, int epoch);

    /** DL4J's iteration and epoch counters (they drive learning-rate schedules and Adam's bias correction). */
    void setCounters(int iteration, int epoch);

    int iterationCount();

    int epochCount();

    /** Inference-mode output (BN uses its running statistics) for one batch of flat features. */
    INDArray output(INDArray features);

    /** Every layer, in forward order, which is also the order of the flat parameter vector. */
    List<Layer> layers();

    /** What BN layer {@code bn} receives in inference mode for {@code features} (after any preprocessor). */
    INDArray bnInput(BnLayer bn, INDArray features);

    /** A new network with DL4J's BatchNormalization layers and bitwise the same state and counters. */
    Network withStandardBn();

    /**
     * What a model file holds: {@link #withStandardBn()} with every updater at the constant rate of
     * the current iteration, so plain DL4J loads it without any class of this project.
     */
    Network forExport();


    /** Flat features per example (height x width x channels for image networks). */
    int inputSize();

    /** Outputs per example: the number of classes. */
    int outputSize();

    /**
     * Writes a DL4J model zip ({@code ModelSerializer}), with the updater state when {@code withUpdater};
     * an image input layout is recorded in one extra entry, which {@link #read} restores.
     */
    void write(File zip, boolean withUpdater) throws IOException;

    /** The BatchNorm layers (DL4J's and the synchronized ones), in forward order. */
    default List<BnLayer> batchNorms() {
        List<BnLayer> out = new ArrayList<>();
        for (Layer l : layers()) {
            if (l.conf().getLayer() instanceof BatchNormalization) {
                out.add(new BnLayer(out.size(), l));
            }
        }
        return out;
    }

    /** The synchronized BN layers, in forward order. */
    default List<SyncBatchNormalizationLayer> syncBnLayers() {
        List<SyncBatchNormalizationLayer> out = new ArrayList<>();
        for (Layer l : layers()) {
            if (l instanceof SyncBatchNormalizationLayer s) {
                out.add(s);
            }
        }
        return out;
    }
}
