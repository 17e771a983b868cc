package org.syncbn.store;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.syncbn.config.SpecException;

import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A training checkpoint: {@code <out>/checkpoint.zip}, a standard DL4J model zip (configuration,
 * parameters, updater state; loadable with plain ModelSerializer) carrying one extra entry with
 * the loop position. Written to a temp file and renamed, so a crash never leaves half a file.
 *
 * @param nextRound   first round still to run
 * @param seed        the job's seed (all data-order randomness derives from seed and round)
 * @param specHocon   the resolved job spec
 * @param elapsedSec  training wall time spent so far (continues across resumes)
 * @param runId       identity of the run, kept across resumes
 */
public record Checkpoint(int nextRound, long seed, String specHocon, double elapsedSec, String runId)
        implements Serializable {

    public static final String FILE = "checkpoint.zip";
    private static final String STATE_KEY = "syncbn-loop-state";

    /** Writes {@code net} (with updater) and this state into {@code dir/checkpoint.zip}, atomically. */
    public void write(Path dir, MultiLayerNetwork net) {
        AtomicFiles.write(dir.resolve(FILE), tmp -> {
            File f = tmp.toFile();
            ModelSerializer.writeModel(net, f, true);
            ModelSerializer.addObjectToFile(f, STATE_KEY, Json.line(this));
        });
    }

    /** Whether {@code dir} holds a checkpoint. */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE));
    }

    /** Reads the loop state of {@code dir}'s checkpoint. */
    public static Checkpoint read(Path dir) {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            throw new SpecException("no checkpoint to resume from: " + f + " does not exist");
        }
        try {
            String json = ModelSerializer.getObjectFromFile(f.toFile(), STATE_KEY);
            return Json.mapper().readValue(json, Checkpoint.class);
        } catch (IOException | RuntimeException e) {
            throw new SpecException("checkpoint " + f + " is unreadable: " + e.getMessage(), e);
        }
    }

    /** Restores the network (parameters and updater state) of {@code dir}'s checkpoint. */
    public static MultiLayerNetwork network(Path dir) {
        try {
            return ModelSerializer.restoreMultiLayerNetwork(dir.resolve(FILE).toFile(), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
