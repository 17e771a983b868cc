package org.syncbn.store;

import org.deeplearning4j.util.ModelSerializer;
import org.syncbn.config.SpecException;
import org.syncbn.network.Network;

import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;

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
 * @param started     when the run first started (ISO-8601), or null in a checkpoint written before it was kept
 * @param epochSoFar  the sums of the rounds of the epoch in progress, so that a resumed epoch's figures
 *                    (train_loss, samples/s) cover all of it; null in a checkpoint written before they were kept
 */
public record Checkpoint(int nextRound, long seed, String specHocon, double elapsedSec, String runId, String started,
                         EpochSums epochSoFar) implements Serializable {

    /**
     * What the rounds of an epoch add up to, until it ends: samples, Σ (mean loss × samples), round and
     * step seconds, rounds, and the overhead split (broadcast, task setup, launch and collect, merge).
     */
    public record EpochSums(long samples, double lossSum, double seconds, double stepSeconds, int rounds,
                            double broadcast, double taskSetup, double launchCollect, double merge)
            implements Serializable {
        public static final EpochSums NONE = new EpochSums(0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    public static final String FILE = "checkpoint.zip";
    private static final String STATE_KEY = "syncbn-loop-state";

    /** Writes {@code net} (with updater) and this state into {@code dir/checkpoint.zip}, atomically. */
    public void write(FileStore dir, Network net) {
        dir.write(FILE, tmp -> {
            File f = tmp.toFile();
            net.write(f, true);
            ModelSerializer.addObjectToFile(f, STATE_KEY, Json.line(this));
        });
    }

    /** Whether {@code dir} holds a checkpoint. */
    public static boolean exists(FileStore dir) {
        return dir.exists(FILE);
    }

    /** Reads the loop state of {@code dir}'s checkpoint. */
    public static Checkpoint read(FileStore dir) {
        if (!dir.exists(FILE)) {
            throw new SpecException("no checkpoint to resume from: " + dir.describe(FILE) + " does not exist");
        }
        String where = dir.describe(FILE);
        try {
            return Json.mapper().readValue(dir.read(FILE, Checkpoint::loopState), Checkpoint.class);
        } catch (SpecException refused) {   // a class the allow-list refuses, or no state entry
            throw new SpecException("checkpoint " + where + ": " + refused.getMessage(), refused);
        } catch (java.io.IOException | RuntimeException e) {
            throw new SpecException("checkpoint " + where + " is unreadable: " + e.getMessage(), e);
        }
    }

    /**
     * The loop state's JSON, read through the model zip's allow-list ({@link Network#storedObject}), not
     * through ModelSerializer.getObjectFromFile's bare ObjectInputStream.
     */
    private static String loopState(java.nio.file.Path zip) throws java.io.IOException {
        if (Network.storedObject(zip.toFile(), STATE_KEY) instanceof String json) {
            return json;
        }
        throw new SpecException("no loop state (a String in entry objects/" + STATE_KEY + ")");
    }

    /** Restores the network (parameters and updater state) of {@code dir}'s checkpoint. */
    public static Network network(FileStore dir) {
        return dir.read(FILE, f -> Network.read(f.toFile(), true));
    }
}
