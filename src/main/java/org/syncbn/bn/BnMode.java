package org.syncbn.bn;

import java.io.Serializable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a BatchNorm layer takes its batch statistics from during training.
 *
 * <ul>
 *   <li>{@code local}: each worker's own batch (DL4J's BatchNormalization, no communication);</li>
 *   <li>{@code sync}: the global batch of all W workers;</li>
 *   <li>{@code group:G}: the batch of the G consecutive workers of one's group (normalisation
 *       batch G·b, independent of the SGD batch W·b);</li>
 *   <li>{@code ghost:g}: virtual batches of g consecutive examples inside a worker.</li>
 * </ul>
 *
 * @param kind the mode
 * @param size G for group, g for ghost, else 0
 */
public record BnMode(Kind kind, int size) implements Serializable {
    public enum Kind { LOCAL, SYNC, GROUP, GHOST }

    /** What {@link #parse} accepts, for error messages. */
    public static final String EXPECTED = "local, sync, group:G or ghost:g (G, g integers >= 1)";

    private static final Pattern SIZED = Pattern.compile("(group|ghost):([1-9][0-9]{0,8})");

    public static BnMode parse(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("local")) {
            return new BnMode(Kind.LOCAL, 0);
        }
        if (t.equals("sync")) {
            return new BnMode(Kind.SYNC, 0);
        }
        Matcher m = SIZED.matcher(t);
        if (m.matches()) {
            return new BnMode(m.group(1).equals("group") ? Kind.GROUP : Kind.GHOST, Integer.parseInt(m.group(2)));
        }
        throw new IllegalArgumentException("bn mode '" + text + "': expected " + EXPECTED);
    }

    /** Whether layers use SyncBatchNormalization (every mode but local). */
    public boolean usesSyncLayer() {
        return kind != Kind.LOCAL;
    }

    /**
     * Whether the workers of a round exchange BN statistics: sync or group:G (G &gt; 1) with more than
     * one worker. The one place that decides it; a worker that does not communicate runs alone.
     */
    public boolean communicates(int workers) {
        return workers > 1 && (kind == Kind.SYNC || (kind == Kind.GROUP && size > 1));
    }

    /** How many consecutive workers normalise together: all W (sync), G (group), else 1. */
    public int groupSize(int workers) {
        return switch (kind) {
            case SYNC -> workers;
            case GROUP -> size;
            default -> 1;
        };
    }

    /** The ghost batch size a SyncBN layer takes for this mode (0 = the worker's whole batch). */
    public int ghostBatchSize() {
        return kind == Kind.GHOST ? size : 0;
    }

    /** Examples per normalisation batch for per-worker batch b and W workers. */
    public int normalizationBatch(int batchPerWorker, int workers) {
        return switch (kind) {
            case LOCAL -> batchPerWorker;
            case SYNC -> batchPerWorker * workers;
            case GROUP -> batchPerWorker * size;
            case GHOST -> Math.min(size, batchPerWorker);
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case LOCAL -> "local";
            case SYNC -> "sync";
            case GROUP -> "group:" + size;
            case GHOST -> "ghost:" + size;
        };
    }
}
