package org.syncbn.bench;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.conv.FastConvolutionLayer;
import org.syncbn.conv.OneDnnLibrary;
import org.syncbn.natives.NativeBuild;
import org.syncbn.natives.NativeBuildChoice;
import org.syncbn.conv.FastConvolutions;

import java.util.Locale;

/**
 * Checks the native build a JVM loads: chooses it as the scripts and executors do
 * ({@link NativeBuildChoice#applyToThisJvm}, so an explicit {@code -D}{@value NativeBuild#EXTENSION_PROPERTY}
 * wins), prints it, and trains a small CNN (conv → BN → pool → strided conv → softmax) for five
 * Adam steps in float and, from the same parameters, in double: a build that miscomputes shows
 * as a difference far above float rounding; and a third time in float with the project's fast
 * convolutions (oneDNN 2.5.2 where it loads, else libnd4j's ops on a oneDNN build). Prints
 * {@code NATIVE ...}, {@code ROUTE <the fast layers' route>}, {@code ONEDNN <what loading oneDNN
 * 2.5.2 found>} and {@code MAX_REL_DIFF float_vs_double=<d> fast_vs_dl4j=<f>}; exits 0 when both
 * are <= 1e-3, 1 otherwise.
 */
public final class NativeSelfCheck {
    private static final double TOLERANCE = 1e-3;

    private NativeSelfCheck() {
    }

    public static void main(String[] args) {
        NativeBuildChoice.applyToThisJvm();
        System.out.println("NATIVE " + NativeBuild.current().describe());
        MultiLayerNetwork reference = new MultiLayerNetwork(conf(DataType.DOUBLE));
        reference.init();
        MultiLayerNetwork single = new MultiLayerNetwork(conf(DataType.FLOAT));
        single.init(reference.params().castTo(DataType.FLOAT), false);
        MultiLayerNetwork fast = new MultiLayerNetwork(FastConvolutions.apply(conf(DataType.FLOAT)));
        fast.init(reference.params().castTo(DataType.FLOAT), false);
        System.out.println("ROUTE " + ((FastConvolutionLayer) fast.getLayer(0)).getRoute());
        System.out.println("ONEDNN " + OneDnnLibrary.describe());
        train(reference, single, fast);
        double d = maxRelDiff(reference.params(), single.params());
        double f = maxRelDiff(single.params(), fast.params());
        System.out.printf(Locale.ROOT, "MAX_REL_DIFF float_vs_double=%.3e fast_vs_dl4j=%.3e%n", d, f);
        System.exit(d <= TOLERANCE && f <= TOLERANCE ? 0 : 1);
    }

    /** Five Adam steps of every network on the same random batches. */
    static void train(MultiLayerNetwork... nets) {
        Nd4j.getRandom().setSeed(12);
        for (int step = 0; step < 5; step++) {
            INDArray y = Nd4j.zeros(DataType.DOUBLE, 16, 4);
            for (int i = 0; i < 16; i++) {
                y.putScalar(i, (i + step) % 4, 1.0);
            }
            INDArray x = Nd4j.rand(DataType.DOUBLE, 16, 2, 12, 12);
            for (MultiLayerNetwork net : nets) {
                DataType dt = net.params().dataType();
                net.fit(new DataSet(x.castTo(dt), y.castTo(dt)));
            }
        }
    }

    static double maxRelDiff(INDArray a, INDArray b) {
        INDArray da = a.castTo(DataType.DOUBLE);
        return da.sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue() / da.amaxNumber().doubleValue();
    }

    static MultiLayerConfiguration conf(DataType dtype) {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(dtype).updater(new Adam(1e-3))
                .weightInit(WeightInit.RELU).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(8).convolutionMode(ConvolutionMode.Same).hasBias(false)
                        .activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(8).stride(2, 2).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(12, 12, 2))
                .build();
    }
}
