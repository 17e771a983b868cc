package org.syncbn.model;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.zoo.ZooModel;
import org.deeplearning4j.zoo.model.Darknet19;
import org.deeplearning4j.zoo.model.LeNet;
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.SimpleCNN;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;

/**
 * The deeplearning4j-zoo 1.0.0-M2 architectures a job can build ({@code model.zoo}), randomly
 * initialised with the job's seed, for the data's image shape and class count. Pretrained weights
 * need a download (not possible here): save such a model as a zip and use {@code model.type = file}.
 */
final class ZooModels {
    private ZooModels() {
    }

    /** The initialised zoo network, whose configuration the caller takes over. */
    static Model build(JobSpec spec, ModelInput input) {
        if (!input.isImage()) {
            throw new SpecException("model.zoo = " + spec.model().zoo().key() + " needs images, but the data has "
                    + input.describe() + " (set data.imageShape = [C, H, W] for tables)");
        }
        // the zoo's inputShape is [channels, width, height]: it calls InputType.convolutional(shape[2], shape[1], shape[0])
        int[] shape = {input.channels(), input.width(), input.height()};
        long seed = spec.seed();
        int classes = input.classes();
        ZooModel<?> zoo = switch (spec.model().zoo()) {
            case RESNET50 -> ResNet50.builder().inputShape(shape).numClasses(classes).seed(seed).build();
            case SQUEEZENET -> SqueezeNet.builder().inputShape(shape).numClasses(classes).seed(seed).build();
            case DARKNET19 -> Darknet19.builder().inputShape(shape).numClasses(classes).seed(seed).build();
            case SIMPLECNN -> SimpleCNN.builder().inputShape(shape).numClasses(classes).seed(seed).build();
            case LENET -> LeNet.builder().inputShape(shape).numClasses(classes).seed(seed).build();
        };
        try {
            Model model = zoo.init();
            return model instanceof org.deeplearning4j.nn.multilayer.MultiLayerNetwork mln
                    && !(mln.getOutputLayer() instanceof org.deeplearning4j.nn.api.layers.IOutputLayer)
                    ? withLoss(mln) : model;
        } catch (RuntimeException e) {
            throw new SpecException("model.zoo = " + spec.model().zoo().key() + " does not build for "
                    + input.describe() + ": " + oneLine(e), e);
        }
    }

    /**
     * SimpleCNN ends in a softmax activation with no loss: training needs one, so a multi-class
     * cross-entropy LossLayer (no parameters) is appended; nothing else changes.
     */
    private static Model withLoss(org.deeplearning4j.nn.multilayer.MultiLayerNetwork mln) {
        org.deeplearning4j.nn.conf.MultiLayerConfiguration conf = mln.getLayerWiseConfigurations().clone();
        org.deeplearning4j.nn.conf.NeuralNetConfiguration last = conf.getConf(conf.getConfs().size() - 1).clone();
        last.setLayer(new org.deeplearning4j.nn.conf.layers.LossLayer.Builder(
                org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MCXENT)
                .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build());
        last.getLayer().setLayerName("loss");
        conf.getConfs().add(last);
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork out = new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(conf);
        out.init();
        return out;
    }

    static String oneLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        return m.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
