package org.syncbn.store;

import org.syncbn.config.SpecException;
import org.syncbn.network.Network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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

    /** Writes {@code dir/model.zip} atomically; returns its path or URI. */
    public static String write(FileStore dir, Network net) {
        Network standard = net.forExport();
        dir.write(MODEL_FILE, tmp -> standard.write(tmp.toFile(), true));
        return dir.describe(MODEL_FILE);
    }

    /** Reads a model.zip with its updater state; {@code what} names it in the error when it is not one. */
    public static Network read(Path zip, String what) throws IOException {
        try {
            return Network.read(zip.toFile(), true);
        } catch (SpecException refused) {   // a serialised class the allow-list refuses: bad input, named
            throw new SpecException(what + ": " + refused.getMessage(), refused);
        } catch (IOException | RuntimeException e) {
            throw new IOException(what + " is not a DL4J MultiLayerNetwork zip: " + e.getMessage(), e);
        }
    }

    /**
     * Opens a local model for a command: {@code modelOrDir} is a model zip or a directory holding
     * model.zip. Without updater state (inference, statistics).
     *
     * @throws SpecException naming the file when it is missing or not a model
     */
    public static Network open(Path modelOrDir) {
        Path file = Files.isDirectory(modelOrDir) ? modelOrDir.resolve(MODEL_FILE) : modelOrDir;
        if (!Files.isRegularFile(file)) {
            throw new SpecException("model file not found: " + file);
        }
        try {
            return Network.read(file.toFile(), false);
        } catch (SpecException refused) {
            throw new SpecException("model file " + file + ": " + refused.getMessage(), refused);
        } catch (IOException | RuntimeException e) {
            throw new SpecException("model file " + file + " is not a DL4J MultiLayerNetwork zip: " + e.getMessage(), e);
        }
    }

    /** Reads a local model.zip. */
    public static Network read(Path zip) {
        try {
            return read(zip, zip.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
