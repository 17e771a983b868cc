package org.syncbn.model;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.syncbn.bn.BnConversion;
import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;
import org.syncbn.conv.FastConvolutions;
import org.syncbn.network.InputLayouts;
import org.syncbn.network.Network;
import org.syncbn.network.WarmStart;

import java.util.function.Supplier;

/**
 * The network of a job, whatever its source ({@code model.type}): built key by key (mlp, cnn), the
 * residual graph (resnet), a zoo architecture (zoo), or the user's own configuration or model zip
 * (file). For zoo and file the job's keys apply on top as {@link JobOverrides} says; every network is
 * checked trainable ({@link TrainableCheck}), its BatchNorm layers take the class of {@code bn.mode},
 * its input layout is found by trying it on the data's shape, and its outputs must be the data's classes.
 */
public final class JobNetworks {
    private JobNetworks() {
    }

    /**
     * @param hadoop Hadoop configuration for a model.file URI
     */
    public static Network build(JobSpec spec, ModelInput input, int stepsPerEpoch,
                                Supplier<org.apache.hadoop.conf.Configuration> hadoop) {
        JobSpec.ModelSpec m = spec.model();
        String what = switch (m.type()) {
            case ZOO -> "model.zoo = " + m.zoo().key();
            case FILE -> "model.file = " + m.file();
            default -> "model.type = " + m.type().key();
        };
        JobSpec.BnSpec bn = spec.bn();
        Network network = switch (m.type()) {
            case MLP, CNN -> init(NetworkFactory.build(spec, input, stepsPerEpoch));
            case RESNET -> {
                ComputationGraphConfiguration conf = ResNets.build(spec, input, stepsPerEpoch);
                yield init(bn.usesSyncLayer()
                        ? BnConversion.toSync(conf, bn.mode().ghostBatchSize(), bn.populationStatistics()) : conf);
            }
            case ZOO -> fromConfiguration(configurationOf(ZooModels.build(spec, input)), null, spec, stepsPerEpoch,
                    what, true);
            case FILE -> {
                FileModels.Loaded f = FileModels.read(m.file(), hadoop);
                Object conf = f.layered() != null ? f.layered() : f.graph();
                yield fromConfiguration(conf, f.zip(), spec, stepsPerEpoch, what, f.zip() == null);
            }
        };
        Network shaped = network.withInputLayout(InputLayouts.detect(network, input.features(), input.channels(),
                input.height(), input.width(), what));
        if (shaped.outputSize() != input.classes()) {
            throw new SpecException(what + ": the network has " + shaped.outputSize() + " outputs, the data "
                    + input.classes() + " classes (data.numClasses)");
        }
        return shaped;
    }

    /**
     * A stored network ready to score {@code input}: as its zip records, else in the layout it takes
     * (a zip written elsewhere records none).
     */
    public static Network forScoring(Network loaded, ModelInput input, String what) {
        if (loaded.inputLayout().isImage()) {
            return loaded;
        }
        return loaded.withInputLayout(InputLayouts.detect(loaded, input.features(), input.channels(), input.height(),
                input.width(), what));
    }

    /** The job's keys on top of a configuration the job did not build; a zip's parameters copied in by name. */
    private static Network fromConfiguration(Object conf, Network zip, JobSpec spec, int stepsPerEpoch, String what,
                                             boolean useLogStd) {
        JobSpec.BnSpec bn = spec.bn();
        Network network;
        try {
            if (conf instanceof MultiLayerConfiguration mlc) {
                TrainableCheck.require(mlc, what);
                JobOverrides.apply(mlc, spec, stepsPerEpoch, useLogStd);
                MultiLayerConfiguration fast = FastConvolutions.apply(mlc);
                network = init(bn.usesSyncLayer()
                        ? BnConversion.toSync(fast, bn.mode().ghostBatchSize(), bn.populationStatistics())
                        : BnConversion.toStandard(fast));
            } else {
                ComputationGraphConfiguration cgc = (ComputationGraphConfiguration) conf;
                TrainableCheck.require(cgc, what);
                JobOverrides.apply(cgc, spec, stepsPerEpoch, useLogStd);
                ComputationGraphConfiguration fast = FastConvolutions.apply(cgc);
                network = init(bn.usesSyncLayer()
                        ? BnConversion.toSync(fast, bn.mode().ghostBatchSize(), bn.populationStatistics())
                        : BnConversion.toStandard(fast));
            }
        } catch (SpecException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SpecException(what + ": DL4J cannot build the network: " + ZooModels.oneLine(e), e);
        }
        if (zip != null) {
            WarmStart.apply(network, zip, what);
        }
        return network;
    }

    private static Object configurationOf(Model model) {
        return model instanceof ComputationGraph g ? g.getConfiguration().clone()
                : ((MultiLayerNetwork) model).getLayerWiseConfigurations().clone();
    }

    private static Network init(MultiLayerConfiguration conf) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return Network.of(net);
    }

    private static Network init(ComputationGraphConfiguration conf) {
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return Network.of(graph);
    }
}
