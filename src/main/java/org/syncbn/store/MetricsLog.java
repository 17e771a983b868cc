package org.syncbn.store;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** metrics.jsonl: one JSON object per evaluation, appended as whole lines. */
public final class MetricsLog {
    private final Path file;

    public MetricsLog(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Appends one record as a single line. */
    public void append(Map<String, Object> record) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, Json.line(record) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.SYNC);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
        }
    }

    /** All records, in order (empty when the file does not exist). */
    public List<JsonNode> read() {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(Json.mapper().readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Keeps only the records of rounds before {@code nextRound} (atomic rewrite): on resume, lines
     * written after the checkpoint by the interrupted run are dropped and written again.
     */
    public void truncateToRoundsBefore(int nextRound) {
        if (!Files.exists(file)) {
            return;
        }
        StringBuilder kept = new StringBuilder();
        for (JsonNode n : read()) {
            if (n.path("round").asInt(Integer.MAX_VALUE) < nextRound) {
                kept.append(Json.line(n)).append('\n');
            }
        }
        AtomicFiles.writeString(file, kept.toString());
    }
}
