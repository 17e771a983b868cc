package org.syncbn.retrain;

import com.fasterxml.jackson.databind.JsonNode;
import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;
import org.syncbn.data.Examples;
import org.syncbn.data.IdxDataSource;

/**
 * Reads a snapshot's training set and the holdout on the driver before anything is trained or
 * written, so bad new data (corrupt or truncated files, labels out of range, no examples, a shape
 * that differs from the holdout's or from CURRENT's) fails the retrain as one line naming the file.
 */
final class SnapshotCheck {

    /** The data a retrain compares models on, and the shape of the snapshot. */
    record Checked(Examples holdout, String holdoutDir, int trainExamples, int features, int classes) {}

    private SnapshotCheck() {
    }

    /**
     * @param data       the job's data section with data.dir = the snapshot
     * @param holdoutDir retrain.holdoutDir ("" = the snapshot)
     * @param current    CURRENT's provenance.json (null without CURRENT), whose recorded shape must match
     */
    static Checked check(JobSpec.DataSpec data, String holdoutDir, JsonNode current, String currentName) {
        Examples train = new IdxDataSource(data).train();
        // IdxReader already rejects a file announcing 0 examples; this keeps the rule whatever the reader
        if (train.count() == 0) {
            throw new SpecException("snapshot " + data.dir() + ": " + data.trainImages()
                    + " holds no examples (expected at least one)");
        }
        String dir = holdoutDir.isEmpty() ? data.dir() : holdoutDir;
        JobSpec.DataSpec h = data.withDir(dir);
        Examples holdout = new IdxDataSource(h).test();
        if (holdout.count() == 0) {
            throw new SpecException("holdout " + dir + ": " + data.testImages() + " holds no examples"
                    + " (expected at least one)");
        }
        if (holdout.featureSize() != train.featureSize()) {
            throw new SpecException("snapshot " + data.dir() + ": " + data.trainImages() + " has "
                    + train.featureSize() + " features per example, the holdout " + dir + " " + holdout.featureSize());
        }
        if (current != null && current.path("data").has("features")) {
            int expected = current.path("data").get("features").asInt();
            if (expected != train.featureSize()) {
                throw new SpecException("snapshot " + data.dir() + ": " + data.trainImages() + " has "
                        + train.featureSize() + " features per example, " + currentName + " was trained on "
                        + expected);
            }
        }
        int max = data.maxTestExamples();
        if (max > 0 && max < holdout.count()) {
            int[] first = new int[max];
            for (int i = 0; i < max; i++) {
                first[i] = i;
            }
            holdout = holdout.subset(first);
        }
        return new Checked(holdout, dir, train.count(), train.featureSize(), train.labelSize());
    }
}
