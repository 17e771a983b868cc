package org.syncbn.network;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.syncbn.bn.BnConversion;
import org.syncbn.conv.FastConvolutions;

import java.io.File;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/** A {@link MultiLayerNetwork} as a {@link Network}. */
final class LayeredNetwork implements Network {
    private final MultiLayerNetwork net;
    private final InputLayout input;

    LayeredNetwork(MultiLayerNetwork net, InputLayout input) {
        this.net = net;
        this.input = input;
    }

    static LayeredNetwork fromJson(String json, InputLayout input) {
        MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(json));
        net.init();
        return new LayeredNetwork(net, input);
    }

    static LayeredNetwork read(ModelZip zip, boolean withUpdater) throws IOException {
        return new LayeredNetwork(ModelSerializer.restoreMultiLayerNetwork(zip.dl4jInput(), withUpdater), zip.layout());
    }

    @Override
    public Model dl4j() {
        return net;
    }

    @Override
    public String configurationJson() {
        return net.getLayerWiseConfigurations().toJson();
    }

    @Override
    public InputLayout inputLayout() {
        return input;
    }

    @Override
    public Network withInputLayout(InputLayout layout) {
        return new LayeredNetwork(net, layout);
    }

    @Override
    public INDArray updaterView() {
        Updater updater = net.getUpdater(true);
        return updater == null ? null : updater.getStateViewArray();
    }

    @Override
    public void fit(DataSet batch) {
        net.fit(input.isImage() ? new DataSet(input.apply(batch.getFeatures()), batch.getLabels()) : batch);
    }

    @Override
    public double score() {
        return net.score();
    }

    @Override
    public INDArray gradientView() {
        return net.getFlattenedGradients();
    }

    @Override
    public void divideGradientsByBatch(boolean divide) {
        net.conf().setMiniBatch(divide);
    }

    @Override
    public void listenWith(org.deeplearning4j.optimize.api.TrainingListener listener) {
        net.setListeners(listener == null ? new org.deeplearning4j.optimize.api.TrainingListener[0]
                : new org.deeplearning4j.optimize.api.TrainingListener[] {listener});
    }

    @Override
    public void stepOnGradient(int iteration, int epoch) {
        List<Layer> layers = layers();
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            names.add(String.valueOf(i));
        }
        net.getUpdater(true).update(net, FlatGradient.of(net.getFlattenedGradients(), layers, names), iteration, epoch,
                1, LayerWorkspaceMgr.noWorkspaces());
        net.params().subi(net.getFlattenedGradients());   // DL4J's NegativeGradientStepFunction
    }

    @Override
    public void setCounters(int iteration, int epoch) {
        net.setIterationCount(iteration);
        net.setEpochCount(epoch);
    }

    @Override
    public int iterationCount() {
        return net.getIterationCount();
    }

    @Override
    public int epochCount() {
        return net.getEpochCount();
    }

    @Override
    public INDArray output(INDArray features) {
        return net.output(input.apply(features), false);
    }

    @Override
    public List<Layer> layers() {
        return Arrays.asList(net.getLayers());
    }

    @Override
    public INDArray bnInput(BnLayer bn, INDArray features) {
        int layer = bn.layer().getIndex();
        features = input.apply(features);
        INDArray in = layer == 0 ? features : net.feedForwardToLayer(layer - 1, features, false).get(layer);
        InputPreProcessor pp = net.getLayerWiseConfigurations().getInputPreProcess(layer);
        return pp == null ? in : pp.preProcess(in, (int) in.size(0), LayerWorkspaceMgr.noWorkspaces());
    }

    @Override
    public Network withStandardBn() {
        return new LayeredNetwork(BnConversion.toStandard(net), input);
    }

    @Override
    public Network forExport() {
        MultiLayerNetwork standard = BnConversion.toStandard(net);
        MultiLayerConfiguration conf = FastConvolutions.toStandard(standard.getLayerWiseConfigurations().clone());
        ExportedUpdaters.freeze(conf);
        MultiLayerNetwork out = new MultiLayerNetwork(conf);
        out.init(standard.params().dup(), false);
        if (standard.getUpdater(false) != null && standard.getUpdater(false).getStateViewArray() != null) {
            out.getUpdater(true).getStateViewArray().assign(standard.getUpdater(false).getStateViewArray());
        }
        return new LayeredNetwork(out, input);
    }


    @Override
    public int inputSize() {
        if (input.isImage()) {
            return input.features();
        }
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        if (conf.getInputPreProcess(0) instanceof FeedForwardToCnnPreProcessor images) {
            return Math.toIntExact(images.getInputHeight() * images.getInputWidth() * images.getNumChannels());
        }
        return Math.toIntExact(((FeedForwardLayer) conf.getConf(0).getLayer()).getNIn());
    }

    @Override
    public int outputSize() {
        // the last layer with a width: a loss, activation or pooling layer at the end passes its input's on
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        for (int i = conf.getConfs().size() - 1; i >= 0; i--) {
            if (conf.getConf(i).getLayer() instanceof FeedForwardLayer ff && ff.getNOut() > 0) {
                return Math.toIntExact(ff.getNOut());
            }
        }
        throw new IllegalStateException("no layer of the network has an output width");
    }

    @Override
    public void write(File zip, boolean withUpdater) throws IOException {
        ModelSerializer.writeModel(net, zip, withUpdater);
        NetworkJson.writeLayout(zip, input);
    }
}
