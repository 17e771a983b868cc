package org.syncbn.worker;

import java.io.Serializable;

/**
 * What one worker hands back after a round.
 *
 * @param rank        worker index (partition)
 * @param params      the merged flat parameter vector (incl. BN running stats) from rank 0; empty from the others
 * @param updater     the merged flat updater state from rank 0 (empty for plain SGD and from the others)
 * @param samples     training examples the worker processed in the round
 * @param lossSum     Σ over steps of (batch loss × batch size)
 * @param steps       optimizer steps the worker took
 * @param stateFinite whether the worker's own parameters and updater state were all finite before the
 *                    merge (the driver names a worker whose last update went non-finite, or a merge that overflowed)
 * @param stepSeconds wall time of the worker's steps alone (no state loading or result transfer)
 * @param taskSeconds wall time of the whole task body: steps plus fetching the broadcast state,
 *                    loading it into the network, reading the shard when not cached, meeting peers, merging
 * @param mergeSeconds wall time of the round-end merge among the workers
 */
public record WorkerResult(int rank, double[] params, double[] updater, long samples, double lossSum,
                           int steps, boolean stateFinite, double stepSeconds, double taskSeconds, double mergeSeconds)
        implements Serializable {}
