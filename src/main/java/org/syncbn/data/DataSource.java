package org.syncbn.data;

import org.syncbn.config.JobSpec;

import java.io.Serializable;
import java.util.Map;

/**
 * Where a job's examples come from. Serializable: executors call {@link #train()} and
 * {@link #test()} inside their partitions, so the data never passes through the driver.
 */
public interface DataSource extends Serializable {
    /** The whole training set, in file order. */
    Examples train();

    /** The whole test set, in file order. */
    Examples test();

    /** Content fingerprint of every input (name → SHA-256), for provenance. */
    Map<String, String> fingerprint();

    /**
     * The whole-file source of an idx or cifar spec (CIFAR files are found in data.dir now).
     *
     * @throws IllegalArgumentException for a table format: those are read by {@link TableShardSource}
     */
    static DataSource of(JobSpec.DataSpec spec) {
        return switch (spec.format()) {
            case IDX -> new IdxDataSource(spec);
            case CIFAR -> new CifarDataSource(CifarFiles.find(spec), spec.numClasses());
            case CSV, LIBSVM, PARQUET -> throw new IllegalArgumentException("data.format = " + spec.format().key()
                    + " is a table, read by TableShardSource: expected idx or cifar");
        };
    }
}
