package org.syncbn.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;
import org.syncbn.conv.FastConvolutions;

/**
 * The residual networks for small images of He et al. 2016, section 4.2 (CIFAR ResNet-(6n+2)), as a
 * ComputationGraph with DL4J's own layers: a 3x3 convolution of 16 channels, then 3 stages of n
 * residual blocks with 16, 32 and 64 channels (the first block of stages 2 and 3 halves the image with
 * stride 2), global average pooling and a softmax output. A block is
 * conv3x3 → BN → ReLU → conv3x3 → BN, added to its shortcut (the identity, or a 1x1 convolution of
 * stride 2 → BN where the shape changes: option B of the paper), then ReLU. Convolutions have no bias
 * (BN's beta takes its place) and "same" padding. Vertex names: stem_conv, stem_bn, stem_relu,
 * s{stage}b{block}_conv1 ... _add, _out; pool, output.
 */
public final class ResNets {
    private static final int[] WIDTHS = {16, 32, 64};

    private ResNets() {
    }

    /** The configuration of ResNet-{@code spec.model().depth()} for {@code input} (images of any C, H, W). */
    public static ComputationGraphConfiguration build(JobSpec spec, ModelInput input, int stepsPerEpoch) {
        if (!input.isImage()) {
            throw new SpecException("model.type = resnet needs images, but the data has " + input.describe()
                    + " (set data.imageShape = [C, H, W] for tables)");
        }
        int n = (spec.model().depth() - 2) / 6;
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(spec.seed())
                .dataType(NetworkFactory.dataType(spec))
                .updater(NetworkFactory.updater(spec, stepsPerEpoch))
                .weightInit(NetworkFactory.weightInit(spec.model().weightInit()))
                .l2(spec.optim().l2())
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutionalFlat(input.height(), input.width(), input.channels()));
        String x = convBnRelu(g, spec, "stem_conv", "stem_bn", "stem_relu", "input", WIDTHS[0], 3, 1);
        int channels = WIDTHS[0];
        for (int stage = 0; stage < WIDTHS.length; stage++) {
            for (int block = 0; block < n; block++) {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                x = block(g, spec, "s" + (stage + 1) + "b" + (block + 1), x, channels, WIDTHS[stage], stride);
                channels = WIDTHS[stage];
            }
        }
        g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
        g.addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(input.classes())
                .activation(Activation.SOFTMAX).build(), "pool");
        g.setOutputs("output");
        return FastConvolutions.apply(g.build());
    }

    private static String block(ComputationGraphConfiguration.GraphBuilder g, JobSpec spec, String name, String in,
                                int inChannels, int channels, int stride) {
        String r1 = convBnRelu(g, spec, name + "_conv1", name + "_bn1", name + "_relu1", in, channels, 3, stride);
        g.addLayer(name + "_conv2", conv(channels, 3, 1), r1);
        g.addLayer(name + "_bn2", NetworkFactory.batchNorm(spec.bn()), name + "_conv2");
        String shortcut = in;
        if (stride != 1 || inChannels != channels) {
            g.addLayer(name + "_proj", conv(channels, 1, stride), in);
            g.addLayer(name + "_proj_bn", NetworkFactory.batchNorm(spec.bn()), name + "_proj");
            shortcut = name + "_proj_bn";
        }
        g.addVertex(name + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), name + "_bn2", shortcut);
        g.addLayer(name + "_out", new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_add");
        return name + "_out";
    }

    /** conv → BN → ReLU; returns the ReLU's name. */
    private static String convBnRelu(ComputationGraphConfiguration.GraphBuilder g, JobSpec spec, String conv,
                                     String bn, String relu, String in, int channels, int kernel, int stride) {
        g.addLayer(conv, conv(channels, kernel, stride), in);
        g.addLayer(bn, NetworkFactory.batchNorm(spec.bn()), conv);
        g.addLayer(relu, new ActivationLayer.Builder().activation(Activation.RELU).build(), bn);
        return relu;
    }

    private static ConvolutionLayer conv(int channels, int kernel, int stride) {
        return new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).nOut(channels).hasBias(false)
                .activation(Activation.IDENTITY).build();
    }
}
