package org.syncbn.data;

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
}
