package org.syncbn.model;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.junit.jupiter.api.Test;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A configuration's flat input width and class count, as scoring needs them. */
class NetworkSizesTest {

    private static MultiLayerConfiguration roundTripped(String... sets) {
        JobSpec spec = JobSpecLoader.load(null, List.of(sets));
        return MultiLayerConfiguration.fromJson(NetworkFactory.build(spec, 784).toJson());
    }

    private static org.syncbn.network.Network network(MultiLayerConfiguration conf) {
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork net = new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(conf);
        net.init();
        return org.syncbn.network.Network.of(net);
    }

    @Test
    void mlpTakesItsFeaturesAndGivesOneOutputPerClass() {
        MultiLayerConfiguration conf = roundTripped("model.hidden=[8]", "data.numClasses=3", "bn.mode=sync");
        assertEquals(784, network(conf).inputSize());
        assertEquals(3, network(conf).outputSize());
    }

    @Test
    void cnnTakesHeightTimesWidthTimesChannelsNotItsFirstLayersChannels() {
        MultiLayerConfiguration conf = roundTripped("model.type=cnn", "model.convChannels=[4]", "model.hidden=[8]");
        assertEquals(784, network(conf).inputSize());
        assertEquals(10, network(conf).outputSize());
    }
}
