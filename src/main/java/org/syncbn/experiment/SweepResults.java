package org.syncbn.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.syncbn.store.FileStore;
import org.syncbn.store.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * results.jsonl (one JSON object per finished cell, the source of truth) and results.csv (the same
 * rows as a table, regenerated from it). Both are replaced whole and atomically after every cell,
 * so a crash leaves either the old or the new complete pair of files.
 */
public final class SweepResults {
    public static final String JSONL = "results.jsonl";
    public static final String CSV = "results.csv";

    private final FileStore dir;

    public SweepResults(FileStore dir) {
        this.dir = dir;
    }

    /** The finished cells, in the order they finished. */
    public List<CellResult> read() {
        List<CellResult> rows = new ArrayList<>();
        if (!dir.exists(JSONL)) {
            return rows;
        }
        for (String line : dir.readString(JSONL).split("\n")) {
            if (!line.isBlank()) {
                try {
                    rows.add(Json.mapper().readValue(line, CellResult.class));
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException(dir.describe(JSONL) + ": unreadable line: " + e.getOriginalMessage(), e);
                }
            }
        }
        return rows;
    }

    /** Adds {@code row} to both files. */
    public void append(CellResult row, List<String> axisKeys) {
        List<CellResult> rows = read();
        rows.add(row);
        StringBuilder jsonl = new StringBuilder();
        for (CellResult r : rows) {
            jsonl.append(Json.line(r)).append('\n');
        }
        dir.writeString(JSONL, jsonl.toString());
        dir.writeString(CSV, csv(rows, axisKeys));
    }

    static String csv(List<CellResult> rows, List<String> axisKeys) {
        StringBuilder out = new StringBuilder();
        List<String> header = new ArrayList<>(List.of("cell"));
        header.addAll(axisKeys);
        header.addAll(CellResult.CSV_COLUMNS);
        out.append(String.join(",", header.stream().map(SweepResults::field).toList())).append('\n');
        for (CellResult r : rows) {
            List<String> cells = new ArrayList<>();
            cells.add(String.valueOf(r.cell()));
            for (String k : axisKeys) {
                cells.add(field(unquote(r.assignment().getOrDefault(k, ""))));
            }
            for (Object v : r.csvValues()) {
                cells.add(field(v instanceof Double d ? String.format(Locale.ROOT, "%.6g", d) : String.valueOf(v)));
            }
            out.append(String.join(",", cells)).append('\n');
        }
        return out.toString();
    }

    /** A HOCON string value as the user reads it: "group:2" → group:2. */
    static String unquote(String hocon) {
        return hocon.length() >= 2 && hocon.startsWith("\"") && hocon.endsWith("\"")
                ? hocon.substring(1, hocon.length() - 1) : hocon;
    }

    private static String field(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
