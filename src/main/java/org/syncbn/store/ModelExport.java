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

    /** Reads a model.zip; {@code what} names it in the error when it is not one. */
    public static MultiLayerNetwork read(java.nio.file.Path zip, String what) throws java.io.IOException {
        try {
            return ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), true);
        } catch (java.io.IOException | RuntimeException e) {
            throw new java.io.IOException(what + " is not a DL4J MultiLayerNetwork zip: " + e.getMessage(), e);
        }
    }

    /** Reads a local model.zip. */
    public static MultiLayerNetwork read(java.nio.file.Path zip) {
        try {
            return read(zip, zip.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e.getMessage(), e);
        }
    }
}
