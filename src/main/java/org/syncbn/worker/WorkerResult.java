package org.syncbn.worker;

import java.io.Serializable;

/**
 * What one worker hands back after a round.
 *
 * @param rank        worker index (partition)
 * @param params      the worker's flat parameter vector after its steps (incl. BN running stats)
 * @param updater     the worker's flat updater state after its steps (empty for plain SGD)
 * @param samples     training examples the worker processed in the round
 * @param lossSum     Σ over steps of (batch loss × batch size)
 * @param steps       optimizer steps the worker took
 * @param stepSeconds wall time of the worker's steps alone (no state loading or result transfer)
 * @param taskSeconds wall time of the whole task body: steps plus fetching the broadcast state,
 *                    loading it into the network, reading the shard when not cached, and meeting peers
 */
public record WorkerResult(int rank, double[] params, double[] updater, long samples, double lossSum,
                           int steps, double stepSeconds, double taskSeconds) implements Serializable {}
