package org.syncbn.store;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.syncbn.bn.BnConversion;


/**
 * Writes the final model as a standard DL4J ModelSerializer zip (with updater, for warm starts).
 * SyncBatchNormalization layers are exported as DL4J's own BatchNormalization with identical
 * parameters, so the file loads and runs inference in plain DL4J without this project.
 */
public final class ModelExport {
    public static final String MODEL_FILE = "model.zip";

    private ModelExport() {
    }

    /** Writes {@code dir/model.zip} atomically; returns its path or URI. */
    public static String write(FileStore dir, MultiLayerNetwork net) {
        MultiLayerNetwork standard = BnConversion.toStandard(net);
        dir.write(MODEL_FILE, tmp -> ModelSerializer.writeModel(standard, tmp.toFile(), true));
        return dir.describe(MODEL_FILE);
    }
}
