package org.syncbn.bench;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The two benchmark networks in plain DL4J (no class of this project), with the layer settings
 * the speed study varies: data format, convolution mode, dtype, conv bias, workspace and cache
 * mode. Padding is explicit (1 for 3×3) in Truncate mode, so both modes compute the same maths.
 *
 * <ul>
 * <li>{@code resnet20}: CIFAR ResNet-20 (He et al. 2016 §4.2) for [1, 28, 28]: conv3×3(16) → BN →
 * ReLU, then 3 stages × 3 basic blocks (conv3×3 → BN → ReLU → conv3×3 → BN, + shortcut, ReLU) of
 * 16/32/64 channels; the first block of stages 2 and 3 has stride 2 and a 1×1 stride-2 projection
 * conv → BN as its shortcut; global average pooling; dense softmax. 21 BN layers.
 * <li>{@code fashion-cnn}: the network of jobs/fashion-cnn.conf with bn.mode = local, as
 * {@code NetworkFactory} builds it: 2 × (conv3×3 no bias → BN → ReLU → 2×2 max pool) with 32 and 64
 * channels, Dense 128 no bias → BN → ReLU, softmax.
 * </ul>
 */
public final class CnnBenchNets {
    private CnnBenchNets() {
    }

    /** The per-layer settings a benchmark varies. */
    public record Settings(CNN2DFormat format, ConvolutionMode mode, DataType dtype, boolean convBias,
                           WorkspaceMode workspaces, CacheMode cache, long seed) {
        public static Settings defaults() {
            return new Settings(CNN2DFormat.NCHW, ConvolutionMode.Same, DataType.FLOAT, false,
                    WorkspaceMode.ENABLED, CacheMode.NONE, 42);
        }
    }

    private static NeuralNetConfiguration.Builder base(Settings s) {
        return new NeuralNetConfiguration.Builder()
                .seed(s.seed())
                .dataType(s.dtype())
                .updater(new Adam(1e-3))
                .weightInit(WeightInit.RELU)
                .trainingWorkspaceMode(s.workspaces())
                .inferenceWorkspaceMode(s.workspaces())
                .cacheMode(s.cache());
    }

    private static ConvolutionLayer.Builder conv(Settings s, int kernel, int stride, int nOut) {
        ConvolutionLayer.Builder b = new ConvolutionLayer.Builder(kernel, kernel)
                .stride(stride, stride).nOut(nOut).hasBias(s.convBias())
                .dataFormat(s.format()).activation(Activation.IDENTITY)
                .convolutionMode(s.mode());
        if (s.mode() != ConvolutionMode.Same) {
            b.padding(kernel / 2, kernel / 2);
        }
        return b;
    }

    private static BatchNormalization bn(Settings s) {
        return new BatchNormalization.Builder().dataFormat(s.format()).build();
    }

    /** ResNet-20 as a ComputationGraph for 1×side×side inputs and {@code classes} outputs. */
    public static ComputationGraphConfiguration resnet20(Settings s, int side, int classes) {
        ComputationGraphConfiguration.GraphBuilder g = base(s).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(side, side, 1, s.format()));
        g.addLayer("stem_conv", conv(s, 3, 1, 16).build(), "in")
                .addLayer("stem_bn", bn(s), "stem_conv")
                .addLayer("stem_relu", relu(), "stem_bn");
        String prev = "stem_relu";
        int[] widths = {16, 32, 64};
        for (int stage = 0; stage < 3; stage++) {
            for (int block = 0; block < 3; block++) {
                String p = "s" + stage + "b" + block + "_";
                int stride = stage > 0 && block == 0 ? 2 : 1;
                int w = widths[stage];
                g.addLayer(p + "conv1", conv(s, 3, stride, w).build(), prev)
                        .addLayer(p + "bn1", bn(s), p + "conv1")
                        .addLayer(p + "relu1", relu(), p + "bn1")
                        .addLayer(p + "conv2", conv(s, 3, 1, w).build(), p + "relu1")
                        .addLayer(p + "bn2", bn(s), p + "conv2");
                String shortcut = prev;
                if (stride != 1) {
                    g.addLayer(p + "proj", conv(s, 1, stride, w).build(), prev)
                            .addLayer(p + "proj_bn", bn(s), p + "proj");
                    shortcut = p + "proj_bn";
                }
                g.addVertex(p + "add", new ElementWiseVertex(ElementWiseVertex.Op.Add), p + "bn2", shortcut)
                        .addLayer(p + "relu2", relu(), p + "add");
                prev = p + "relu2";
            }
        }
        g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), prev)
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(classes).activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out");
        return g.build();
    }

    /** The jobs/fashion-cnn.conf network (local BN) for 1×side×side inputs. */
    public static MultiLayerConfiguration fashionCnn(Settings s, int side, int classes) {
        NeuralNetConfiguration.ListBuilder list = base(s).list();
        int i = 0;
        for (int channels : new int[] {32, 64}) {
            list.layer(i++, conv(s, 3, 1, channels).build());
            list.layer(i++, bn(s));
            list.layer(i++, relu());
            list.layer(i++, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                    .kernelSize(2, 2).stride(2, 2).dataFormat(s.format()).build());
        }
        list.layer(i++, new DenseLayer.Builder().nOut(128).hasBias(false).activation(Activation.IDENTITY).build());
        list.layer(i++, new BatchNormalization.Builder().build());
        list.layer(i++, relu());
        list.layer(i, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(classes).activation(Activation.SOFTMAX).build());
        list.setInputType(InputType.convolutional(side, side, 1, s.format()));
        return list.build();
    }

    private static ActivationLayer relu() {
        return new ActivationLayer.Builder().activation(Activation.RELU).build();
    }
}
