package org.syncbn.store;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * metrics.jsonl: one JSON object per evaluation. An append rewrites the whole (small) file
 * atomically, because object stores cannot append and a torn last line must never happen.
 */
public final class MetricsLog {
    private final FileStore dir;
    private final String name;

    public MetricsLog(FileStore dir, String name) {
        this.dir = dir;
        this.name = name;
    }

    /** A log at a local path (tests, tools). */
    public MetricsLog(java.nio.file.Path file) {
        this(new LocalFileStore(file.toAbsolutePath().getParent()), file.getFileName().toString());
    }

    public String file() {
        return dir.describe(name);
    }

    /** Appends one record (anything Jackson writes as a JSON object) as a single line. */
    public void append(Object record) {
        String old = dir.exists(name) ? dir.readString(name) : "";
        dir.writeString(name, old + Json.line(record) + "\n");
    }

    /** All records, in order (empty when the file does not exist). */
    public List<JsonNode> read() {
        List<JsonNode> out = new ArrayList<>();
        if (!dir.exists(name)) {
            return out;
        }
        try {
            for (String line : dir.readString(name).split("\n")) {
                if (!line.isBlank()) {
                    out.add(Json.mapper().readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file() + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Keeps only the evaluations of the first {@code epochsDone} epochs: on resume, the lines the
     * interrupted run wrote after its checkpoint, and lines of the end of training (PreciseBN, which
     * have no epoch), are dropped and written again. Keyed on the epoch, which every line of every
     * version of this file counts the same way.
     */
    public void keepEpochsUpTo(int epochsDone) {
        if (!dir.exists(name)) {
            return;
        }
        StringBuilder kept = new StringBuilder();
        for (JsonNode n : read()) {
            if (n.path("epoch").isInt() && n.get("epoch").asInt() <= epochsDone) {
                kept.append(Json.line(n)).append('\n');
            }
        }
        dir.writeString(name, kept.toString());
    }
}
