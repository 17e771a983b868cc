package org.syncbn.store;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.syncbn.bn.BnConversion;

import java.nio.file.Path;

/**
 * Writes the final model as a standard DL4J ModelSerializer zip (with updater, for warm starts).
 * SyncBatchNormalization layers are exported as DL4J's own BatchNormalization with identical
 * parameters, so the file loads and runs inference in plain DL4J without this project.
 */
public final class ModelExport {
    public static final String MODEL_FILE = "model.zip";

    private ModelExport() {
    }

    public static Path write(Path dir, MultiLayerNetwork net) {
        Path target = dir.resolve(MODEL_FILE);
        MultiLayerNetwork standard = BnConversion.toStandard(net);
        AtomicFiles.write(target, tmp -> ModelSerializer.writeModel(standard, tmp.toFile(), true));
        return target;
    }
}
