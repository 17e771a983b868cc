package org.syncbn.testing;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** A small plain DL4J model zip, for tests about files rather than training. */
public final class TinyModels {
    private TinyModels() {
    }

    /** A 4 -> 5 -> 3 MultiLayerNetwork, freshly initialised (seed 1), written with its updater to {@code zip}. */
    public static Path mlpZip(Path zip) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder().nIn(5).nOut(3).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        try {
            ModelSerializer.writeModel(net, zip.toFile(), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return zip;
    }
}
