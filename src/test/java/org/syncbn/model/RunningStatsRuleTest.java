package org.syncbn.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.syncbn.bn.SyncBatchNormalization;
import org.syncbn.bn.SyncBatchNormalizationLayer;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.network.Network;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bn.runningStats} reaches every BN layer of every built-in network: the population rule takes
 * SyncBatchNormalization layers even in local mode (DL4J's own layer knows only its rule), DL4J's rule
 * in local mode keeps DL4J's layer; the exported model holds DL4J's layers either way.
 */
class RunningStatsRuleTest {

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({
            "mlp, local, population",
            "mlp, ghost:4, population",
            "mlp, sync, dl4j",
            "mlp, local, dl4j",
            "resnet, local, population",
            "resnet, sync, dl4j"})
    void theRuleReachesEveryBnLayerAndTheExportHasDl4jsLayers(String type, String mode, String rule) {
        JobSpec spec = JobSpecLoader.load(null, List.of("model.type=" + type, "model.hidden=[8]", "model.depth=8",
                "bn.mode=\"" + mode + "\"", "bn.runningStats=" + rule));
        ModelInput input = type.equals("mlp") ? ModelInput.flat(784, 10) : ModelInput.image(1, 28, 28, 10);
        Network net = JobNetworks.build(spec, input, 10, org.apache.hadoop.conf.Configuration::new);
        int bnLayers = net.batchNorms().size();
        assertTrue(bnLayers > 0);
        List<SyncBatchNormalizationLayer> sync = net.syncBnLayers();
        if (mode.equals("local") && rule.equals("dl4j")) {
            assertTrue(sync.isEmpty(), "local mode with DL4J's rule is DL4J's own layer");
        } else {
            assertEquals(bnLayers, sync.size());
            for (SyncBatchNormalizationLayer l : sync) {
                assertEquals(rule.equals("population"),
                        ((SyncBatchNormalization) l.conf().getLayer()).isPopulationStatistics(), l.conf().getLayer().getLayerName());
            }
        }
        Network exported = net.forExport();
        assertEquals(bnLayers, exported.batchNorms().size());
        assertTrue(exported.syncBnLayers().isEmpty());
        assertFalse(exported.configurationJson().contains("populationStatistics"), "plain DL4J has no such field");
        assertTrue(net.configurationJson().contains("populationStatistics") == !sync.isEmpty());
    }
}
