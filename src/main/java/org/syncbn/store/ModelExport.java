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

    /**
     * Opens a local model for a command: {@code modelOrDir} is a model zip or a directory holding
     * model.zip. Without updater state (inference, statistics).
     *
     * @throws org.syncbn.config.SpecException naming the file when it is missing or not a model
     */
    public static MultiLayerNetwork open(java.nio.file.Path modelOrDir) {
        java.nio.file.Path file = java.nio.file.Files.isDirectory(modelOrDir) ? modelOrDir.resolve(MODEL_FILE) : modelOrDir;
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new org.syncbn.config.SpecException("model file not found: " + file);
        }
        try {
            return ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false);
        } catch (java.io.IOException | RuntimeException e) {
            throw new org.syncbn.config.SpecException("model file " + file + " is not a DL4J MultiLayerNetwork zip: "
                    + e.getMessage(), e);
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
