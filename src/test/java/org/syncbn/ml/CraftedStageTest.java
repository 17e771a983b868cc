package org.syncbn.ml;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.SpecException;
import org.syncbn.network.Network;
import org.syncbn.testing.CraftedZips;
import org.syncbn.testing.Gadget;
import org.syncbn.testing.TestSpark;
import org.syncbn.testing.TinyModels;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A saved Spark ML stage whose data/model.zip carries a serialised gadget does not load, and the gadget never runs. */
class CraftedStageTest {
    @TempDir
    Path tmp;

    @Test
    void loadingASavedModelWithAGadgetIsRefusedNamingItsModelFileAndClass() throws Exception {
        SparkSession.builder().sparkContext(TestSpark.context().sc()).getOrCreate();
        Path plain = TinyModels.mlpZip(tmp.resolve("plain.zip"));
        String dir = tmp.resolve("stage").toString();
        new SyncBnClassificationModel(TrainedNetwork.of(Network.read(plain.toFile(), false))).write().overwrite().save(dir);
        Path model = Path.of(dir, "data", "model.zip");
        Path crafted = CraftedZips.withEntries(model, tmp.resolve("crafted.zip"),
                Map.of("objects/anything", Gadget.serialized(new Gadget("ml"))));
        Files.copy(crafted, model, StandardCopyOption.REPLACE_EXISTING);
        int before = Gadget.RUNS.get();
        SpecException e = assertThrows(SpecException.class, () -> SyncBnClassificationModel.load(dir));
        assertTrue(e.getMessage().contains("model.zip: entry objects/anything holds class " + Gadget.class.getName()),
                e.getMessage());
        assertEquals(before, Gadget.RUNS.get());
    }
}
