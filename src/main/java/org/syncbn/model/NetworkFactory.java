package org.syncbn.model;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.config.JobSpec;

/**
 * Builds the DL4J network configuration a job spec describes.
 *
 * <p>MLP: for each hidden width h: Dense(h, no bias: BN's beta replaces it) → BatchNorm →
 * activation; then Dense(numClasses) softmax with multi-class cross-entropy.
 */
public final class NetworkFactory {
    private NetworkFactory() {
    }

    /** The configuration for inputs of {@code numInputs} features. */
    public static MultiLayerConfiguration build(JobSpec spec, int numInputs) {
        JobSpec.ModelSpec model = spec.model();
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .seed(spec.seed())
                .dataType(dataType(spec))
                .updater(updater(spec.optim()))
                .weightInit(weightInit(model.weightInit()))
                .l2(spec.optim().l2())
                .list();
        int nIn = numInputs;
        int index = 0;
        for (int width : model.hidden()) {
            list.layer(index++, new DenseLayer.Builder().nIn(nIn).nOut(width)
                    .hasBias(false).activation(Activation.IDENTITY).build());
            list.layer(index++, batchNorm(spec.bn(), width));
            list.layer(index++, new ActivationLayer.Builder().activation(activation(model.activation())).build());
            nIn = width;
        }
        list.layer(index, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nIn(nIn).nOut(spec.data().numClasses()).activation(Activation.SOFTMAX).build());
        list.setInputType(InputType.feedForward(numInputs));
        return list.build();
    }

    /** DL4J's own BatchNormalization with the spec's decay, eps and variance parameterisation. */
    static BatchNormalization batchNorm(JobSpec.BnSpec bn, int channels) {
        return new BatchNormalization.Builder()
                .nIn(channels).nOut(channels)
                .decay(bn.decay()).eps(bn.eps()).useLogStd(bn.useLogStd())
                .build();
    }

    public static DataType dataType(JobSpec spec) {
        return spec.dtype() == JobSpec.Dtype.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
    }

    static IUpdater updater(JobSpec.OptimSpec optim) {
        return switch (optim.updater()) {
            case "sgd" -> new Sgd(optim.lr());
            case "nesterovs" -> new Nesterovs(optim.lr(), optim.momentum());
            case "adam" -> new Adam(optim.lr());
            default -> throw new IllegalArgumentException("unknown updater " + optim.updater());
        };
    }

    static Activation activation(String name) {
        return switch (name) {
            case "relu" -> Activation.RELU;
            case "tanh" -> Activation.TANH;
            case "sigmoid" -> Activation.SIGMOID;
            case "leakyrelu" -> Activation.LEAKYRELU;
            case "elu" -> Activation.ELU;
            default -> throw new IllegalArgumentException("unknown activation " + name);
        };
    }

    static WeightInit weightInit(String name) {
        return switch (name) {
            case "xavier" -> WeightInit.XAVIER;
            case "relu" -> WeightInit.RELU;
            case "uniform" -> WeightInit.UNIFORM;
            default -> throw new IllegalArgumentException("unknown weight init " + name);
        };
    }
}
