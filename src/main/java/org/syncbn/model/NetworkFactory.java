package org.syncbn.model;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
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
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.bn.BnConversion;
import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;
import org.syncbn.conv.FastConvolutions;
import org.syncbn.network.Network;

/**
 * Builds the DL4J configuration of the two networks a job can describe key by key (mlp, cnn);
 * {@link JobNetworks} is where every model source meets.
 *
 * <p>MLP: for each hidden width h: Dense(h, no bias: BN's beta replaces it) → BatchNorm →
 * activation; then Dense(numClasses) softmax with multi-class cross-entropy.
 * CNN: for each conv block c: Conv(k×k, c channels, same padding, no bias) → BatchNorm →
 * activation → 2×2 max pooling; then the MLP's hidden layers and output.
 * With any BN mode but {@code local} the BatchNorm layers are {@link SyncBatchNormalization}
 * (ghost batches for {@code ghost:g}); parameters are laid out exactly as DL4J's.
 */
public final class NetworkFactory {
    private NetworkFactory() {
    }

    /**
     * The configuration for inputs of {@code numInputs} features, for a job whose learning rate
     * is constant ({@link JobSpec.OptimSpec#hasSchedule()} false).
     */
    public static MultiLayerConfiguration build(JobSpec spec, int numInputs) {
        if (spec.optim().hasSchedule()) {
            throw new IllegalArgumentException("a learning-rate schedule needs the steps per epoch: use build(spec, "
                    + "numInputs, stepsPerEpoch)");
        }
        return build(spec, numInputs, 1);
    }

    /** The configuration for inputs of {@code numInputs} features and {@code stepsPerEpoch} steps per epoch. */
    public static MultiLayerConfiguration build(JobSpec spec, int numInputs, int stepsPerEpoch) {
        return build(spec, ModelInput.flat(numInputs, spec.data().numClasses()), stepsPerEpoch);
    }

    /** The mlp or cnn configuration of {@code spec} for {@code input}. */
    public static MultiLayerConfiguration build(JobSpec spec, ModelInput input, int stepsPerEpoch) {
        JobSpec.ModelSpec model = spec.model();
        int numInputs = input.features();
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .seed(spec.seed())
                .dataType(dataType(spec))
                .updater(updater(spec, stepsPerEpoch))
                .weightInit(weightInit(model.weightInit()))
                .l2(spec.optim().l2())
                .list();
        int index = 0;
        InputType inputType = InputType.feedForward(numInputs);
        if (model.type() == JobSpec.ModelType.CNN) {
            if (input.isImage()) {
                inputType = InputType.convolutionalFlat(input.height(), input.width(), input.channels());
            } else {
                int side = (int) Math.round(Math.sqrt(numInputs));
                if (side * side != numInputs) {
                    throw new SpecException("model.type = cnn needs images, but the data has " + numInputs
                            + " features per example (set data.imageShape = [C, H, W] for tables)");
                }
                inputType = InputType.convolutionalFlat(side, side, 1);
            }
            for (int channels : model.convChannels()) {
                list.layer(index++, new ConvolutionLayer.Builder(model.convKernel(), model.convKernel())
                        .nOut(channels).convolutionMode(ConvolutionMode.Same).hasBias(false)
                        .activation(Activation.IDENTITY).build());
                list.layer(index++, batchNorm(spec.bn()));
                list.layer(index++, new ActivationLayer.Builder().activation(activation(model.activation())).build());
                list.layer(index++, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                        .kernelSize(2, 2).stride(2, 2).build());
            }
        }
        for (int width : model.hidden()) {
            list.layer(index++, new DenseLayer.Builder().nOut(width)
                    .hasBias(false).activation(Activation.IDENTITY).build());
            list.layer(index++, batchNorm(spec.bn()));
            list.layer(index++, new ActivationLayer.Builder().activation(activation(model.activation())).build());
        }
        list.layer(index, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(input.classes()).activation(Activation.SOFTMAX).build());
        list.setInputType(inputType);
        // the project's convolutions: DL4J's own maths, through libnd4j's (oneDNN) conv ops where they exist
        MultiLayerConfiguration conf = FastConvolutions.apply(list.build());
        JobSpec.BnSpec bn = spec.bn();
        return bn.usesSyncLayer() ? BnConversion.toSync(conf, bn.mode().ghostBatchSize(), bn.populationStatistics())
                : conf;
    }

    /** The initialised network of {@link #build(JobSpec, int, int)}. */
    public static Network network(JobSpec spec, int numInputs, int stepsPerEpoch) {
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork net =
                new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(build(spec, numInputs, stepsPerEpoch));
        net.init();
        return Network.of(net);
    }

    /** DL4J's own BatchNormalization with the spec's decay, eps and variance parameterisation. */
    static BatchNormalization batchNorm(JobSpec.BnSpec bn) {
        return new BatchNormalization.Builder()
                .decay(bn.decay()).eps(bn.eps()).useLogStd(bn.useLogStd())
                .build();
    }

    public static DataType dataType(JobSpec spec) {
        return spec.dtype() == JobSpec.Dtype.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
    }

    static IUpdater updater(JobSpec spec, int stepsPerEpoch) {
        JobSpec.OptimSpec optim = spec.optim();
        if (!optim.hasSchedule()) {
            return switch (optim.updater()) {
                case SGD -> new Sgd(optim.lr());
                case NESTEROVS -> new Nesterovs(optim.lr(), optim.momentum());
                case ADAM -> new Adam(optim.lr());
            };
        }
        ISchedule lr = schedule(spec, stepsPerEpoch);
        return switch (optim.updater()) {
            case SGD -> new Sgd(lr);
            case NESTEROVS -> new Nesterovs(lr, optim.momentum());
            case ADAM -> new Adam(lr);
        };
    }

    /** The job's learning-rate schedule (see {@link LearningRateSchedule} for the formulas). */
    public static LearningRateSchedule schedule(JobSpec spec, int stepsPerEpoch) {
        JobSpec.OptimSpec o = spec.optim();
        int globalBatch = spec.train().workers() * spec.train().batchPerWorker();
        double peak = o.lr() * LearningRateSchedule.scaling(o.lrScaling().key(), globalBatch, o.baseBatch());
        return new LearningRateSchedule(o.lr(), peak, (int) Math.round(o.warmupEpochs() * stepsPerEpoch),
                spec.train().epochs() * stepsPerEpoch, stepsPerEpoch, o.decay().key(), o.decayFactor(),
                o.decayEpochs().stream().mapToDouble(Double::doubleValue).toArray());
    }

    static Activation activation(JobSpec.Activation a) {
        return switch (a) {
            case RELU -> Activation.RELU;
            case TANH -> Activation.TANH;
            case SIGMOID -> Activation.SIGMOID;
            case LEAKYRELU -> Activation.LEAKYRELU;
            case ELU -> Activation.ELU;
        };
    }

    static WeightInit weightInit(JobSpec.WeightInit w) {
        return switch (w) {
            case XAVIER -> WeightInit.XAVIER;
            case RELU -> WeightInit.RELU;
            case UNIFORM -> WeightInit.UNIFORM;
        };
    }
}
