package org.syncbn.network;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.bn.BnConversion;
import org.syncbn.conv.FastConvolutions;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@link ComputationGraph} as a {@link Network}: layers in topological order (DL4J's order of the
 * forward pass and of the flat parameter and updater-state vectors), one input and one output on the
 * training and scoring paths.
 */
final class GraphNetwork implements Network {
    private final ComputationGraph graph;
    private final InputLayout input;
    private final MultiIo multi;   // null: one input and one output

    GraphNetwork(ComputationGraph graph, InputLayout input) {
        this(graph, input, null);
    }

    private GraphNetwork(ComputationGraph graph, InputLayout input, MultiIo multi) {
        this.graph = graph;
        this.input = input;
        this.multi = multi;
    }

    static GraphNetwork fromJson(String json, InputLayout input, MultiIo multi) {
        ComputationGraph graph = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
        graph.init();
        return new GraphNetwork(graph, input, multi);
    }

    static GraphNetwork read(ModelZip zip, boolean withUpdater) throws IOException {
        return new GraphNetwork(ModelSerializer.restoreComputationGraph(zip.dl4jInput(), withUpdater), zip.layout());
    }

    @Override
    public Model dl4j() {
        return graph;
    }

    @Override
    public String configurationJson() {
        return graph.getConfiguration().toJson();
    }

    @Override
    public InputLayout inputLayout() {
        return input;
    }

    @Override
    public Network withInputLayout(InputLayout layout) {
        return new GraphNetwork(graph, layout, multi);
    }

    @Override
    public MultiIo multiIo() {
        return multi;
    }

    @Override
    public Network withMultiIo(MultiIo io) {
        return new GraphNetwork(graph, input, io);
    }

    @Override
    public INDArray updaterView() {
        ComputationGraphUpdater updater = graph.getUpdater(true);
        return updater == null ? null : updater.getStateViewArray();
    }

    @Override
    public void fit(DataSet batch) {
        if (multi != null) {
            graph.fit(multi.split(batch));
            return;
        }
        graph.fit(new DataSet(input.apply(batch.getFeatures()), batch.getLabels()));
    }

    @Override
    public double score() {
        return graph.score();
    }

    @Override
    public INDArray gradientView() {
        return graph.getGradientsViewArray();
    }

    @Override
    public void divideGradientsByBatch(boolean divide) {
        graph.conf().setMiniBatch(divide);
    }

    @Override
    public void listenWith(org.deeplearning4j.optimize.api.TrainingListener listener) {
        graph.setListeners(listener == null ? new org.deeplearning4j.optimize.api.TrainingListener[0]
                : new org.deeplearning4j.optimize.api.TrainingListener[] {listener});
    }

    @Override
    public void stepOnGradient(int iteration, int epoch) {
        List<Layer> layers = layers();
        List<String> names = layers.stream().map(l -> l.conf().getLayer().getLayerName()).toList();
        graph.getUpdater(true).update(FlatGradient.of(graph.getGradientsViewArray(), layers, names), iteration, epoch, 1,
                LayerWorkspaceMgr.noWorkspaces());
        graph.params().subi(graph.getGradientsViewArray());   // DL4J's NegativeGradientStepFunction
    }

    @Override
    public void setCounters(int iteration, int epoch) {
        graph.getConfiguration().setIterationCount(iteration);
        graph.getConfiguration().setEpochCount(epoch);
    }

    @Override
    public int iterationCount() {
        return graph.getConfiguration().getIterationCount();
    }

    @Override
    public int epochCount() {
        return graph.getConfiguration().getEpochCount();
    }

    @Override
    public INDArray output(INDArray features) {
        return graph.outputSingle(false, input.apply(features));
    }

    @Override
    public List<Layer> layers() {
        List<Layer> out = new ArrayList<>();
        org.deeplearning4j.nn.graph.vertex.GraphVertex[] vertices = graph.getVertices();
        for (int v : graph.topologicalSortOrder()) {
            if (vertices[v].hasLayer()) {
                out.add(vertices[v].getLayer());
            }
        }
        return out;
    }

    @Override
    public INDArray bnInput(BnLayer bn, INDArray features) {
        String name = bn.conf().getLayerName();
        Map<String, INDArray> activations = graph.feedForward(input.apply(features), false);
        List<String> inputs = graph.getConfiguration().getVertexInputs().get(name);
        INDArray in = activations.get(inputs.get(0));
        GraphVertex vertex = graph.getConfiguration().getVertices().get(name);
        InputPreProcessor pp = vertex instanceof LayerVertex lv ? lv.getPreProcessor() : null;
        return pp == null ? in : pp.preProcess(in, (int) in.size(0), LayerWorkspaceMgr.noWorkspaces());
    }

    @Override
    public Network withStandardBn() {
        return copyInto(BnConversion.toStandard(graph.getConfiguration()));
    }

    @Override
    public Network forExport() {
        ComputationGraphConfiguration conf = FastConvolutions.toStandard(BnConversion.toStandard(graph.getConfiguration()));
        ExportedUpdaters.freeze(conf);
        return copyInto(conf);
    }


    /** A network of {@code conf} with bitwise this one's parameters, updater state and counters. */
    private Network copyInto(ComputationGraphConfiguration conf) {
        conf.setIterationCount(graph.getConfiguration().getIterationCount());
        conf.setEpochCount(graph.getConfiguration().getEpochCount());
        ComputationGraph to = new ComputationGraph(conf);
        to.init(graph.params().dup(), false);
        if (graph.getUpdater(false) != null && graph.getUpdater(false).getStateViewArray() != null) {
            to.getUpdater(true).getStateViewArray().assign(graph.getUpdater(false).getStateViewArray());
        }
        return new GraphNetwork(to, input, multi);
    }

    @Override
    public int inputSize() {
        if (input.isImage()) {
            return input.features();
        }
        ComputationGraphConfiguration conf = graph.getConfiguration();
        String first = conf.getNetworkInputs().get(0);
        for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
            if (e.getValue().contains(first) && conf.getVertices().get(e.getKey()) instanceof LayerVertex lv) {
                if (lv.getPreProcessor() instanceof FeedForwardToCnnPreProcessor images) {
                    return Math.toIntExact(images.getInputHeight() * images.getInputWidth() * images.getNumChannels());
                }
                if (lv.getLayerConf().getLayer() instanceof FeedForwardLayer ff) {
                    return Math.toIntExact(ff.getNIn());
                }
            }
        }
        throw new IllegalStateException("the graph's input width cannot be read off its configuration");
    }

    @Override
    public int outputSize() {
        // walk back from the output to the first layer with a width: a loss, activation or pooling
        // layer at the end passes its input's width on
        ComputationGraphConfiguration conf = graph.getConfiguration();
        String name = conf.getNetworkOutputs().get(0);
        while (name != null) {
            GraphVertex v = conf.getVertices().get(name);
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof FeedForwardLayer ff
                    && ff.getNOut() > 0) {
                return Math.toIntExact(ff.getNOut());
            }
            List<String> inputs = conf.getVertexInputs().get(name);
            name = inputs == null || inputs.isEmpty() ? null : inputs.get(0);
        }
        throw new IllegalStateException("no vertex of the graph has an output width");
    }

    @Override
    public void write(File zip, boolean withUpdater) throws IOException {
        ModelSerializer.writeModel(graph, zip, withUpdater);
        NetworkJson.writeLayout(zip, input);
    }
}
