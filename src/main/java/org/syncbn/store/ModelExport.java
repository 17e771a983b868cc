package org.syncbn.store;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.nio.file.Path;

/** Writes the final model as a standard DL4J ModelSerializer zip (with updater, for warm starts). */
public final class ModelExport {
    public static final String MODEL_FILE = "model.zip";

    private ModelExport() {
    }

    public static Path write(Path dir, MultiLayerNetwork net) {
        Path target = dir.resolve(MODEL_FILE);
        AtomicFiles.write(target, tmp -> ModelSerializer.writeModel(net, tmp.toFile(), true));
        return target;
    }
}
