package org.syncbn.registry;

import com.fasterxml.jackson.databind.JsonNode;
import org.syncbn.store.Json;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The content of a model's {@code CURRENT} file: the version in service, and the versions that
 * were in service before it (oldest first), so a rollback needs nothing but this one file.
 *
 * @param version the version in service
 * @param history previously current versions, oldest first
 * @param since   when this version became current (ISO-8601)
 * @param by      what made it current: retrain, promote, rollback
 */
public record CurrentPointer(int version, List<Integer> history, String since, String by) {

    public CurrentPointer {
        history = List.copyOf(history);
    }

    /** This pointer moved to {@code next}, the present version pushed onto the history. */
    CurrentPointer movedTo(int next, String time, String why) {
        List<Integer> h = new ArrayList<>(history);
        h.add(version);
        return new CurrentPointer(next, h, time, why);
    }

    String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", version);
        m.put("history", history);
        m.put("since", since);
        m.put("by", by);
        return Json.pretty(m);
    }

    static CurrentPointer parse(String text, String where) {
        try {
            JsonNode n = Json.mapper().readTree(text);
            if (n == null || !n.path("version").canConvertToInt() || !n.path("history").isArray()) {
                throw new IllegalStateException(where + " is not a CURRENT pointer: " + oneLine(text));
            }
            List<Integer> h = new ArrayList<>();
            n.get("history").forEach(v -> h.add(v.asInt()));
            return new CurrentPointer(n.get("version").asInt(), h, n.path("since").asText(""), n.path("by").asText(""));
        } catch (IOException e) {
            throw new IllegalStateException(where + " is not valid JSON: " + oneLine(text), e);
        }
    }

    private static String oneLine(String s) {
        String t = s.replaceAll("\\s+", " ").strip();
        return t.length() > 120 ? t.substring(0, 120) + "..." : t;
    }
}
