package org.syncbn.registry;

import com.fasterxml.jackson.databind.JsonNode;
import org.syncbn.network.Network;
import org.syncbn.config.SpecException;
import org.syncbn.store.FileStore;
import org.syncbn.store.Json;
import org.syncbn.store.ModelExport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One model in a registry: {@code <registry>/<model>/v<N>/} version directories and the
 * {@code CURRENT} pointer.
 *
 * <p>A version is complete once model.zip, metrics.json and provenance.json exist; they are
 * written in that order, each atomically, so provenance.json is the completion mark. CURRENT only
 * ever names a complete version and is replaced in one atomic {@link FileStore#write}: after a
 * crash at any point it still names the complete version it named before, or the new one.
 * Callers that change CURRENT hold the model's {@link ModelLock}.
 */
public final class RegisteredModel {
    public static final String CURRENT = "CURRENT";
    public static final String MODEL = "model.zip";
    public static final String METRICS = "metrics.json";
    public static final String PROVENANCE = "provenance.json";
    public static final String DECISION = "decision.json";

    private static final Pattern VERSION = Pattern.compile("v([1-9][0-9]{0,8})");

    private final String name;
    private final FileStore dir;

    RegisteredModel(String name, FileStore dir) {
        this.name = name;
        this.dir = dir;
    }

    public String name() {
        return name;
    }

    /** {@code <registry>/<model>/}. */
    public FileStore dir() {
        return dir;
    }

    /** Version numbers present, ascending (complete or not). */
    public List<Integer> versions() {
        List<Integer> out = new ArrayList<>();
        for (String entry : dir.list()) {
            Matcher m = VERSION.matcher(entry);
            if (m.matches()) {
                out.add(Integer.parseInt(m.group(1)));
            }
        }
        out.sort(null);
        return out;
    }

    public FileStore version(int v) {
        return dir.resolve("v" + v);
    }

    public boolean isComplete(int v) {
        FileStore d = version(v);
        return d.exists(PROVENANCE) && d.exists(METRICS) && d.exists(MODEL);
    }

    /** One more than the highest version present (1 for a new model): numbers are never reused. */
    public int nextVersion() {
        List<Integer> v = versions();
        return v.isEmpty() ? 1 : v.get(v.size() - 1) + 1;
    }

    public Optional<CurrentPointer> current() {
        if (!dir.exists(CURRENT)) {
            return Optional.empty();
        }
        return Optional.of(CurrentPointer.parse(dir.readString(CURRENT), dir.describe(CURRENT)));
    }

    /**
     * Stores a candidate as version {@code v}: model.zip (copied from {@code modelZip}), then
     * metrics.json, then provenance.json, which marks it complete.
     */
    public void storeVersion(int v, Path modelZip, Map<String, Object> metrics, Map<String, Object> provenance) {
        FileStore d = version(v);
        if (d.exists(PROVENANCE)) {
            throw new IllegalStateException("version " + d + " already exists; versions are never overwritten");
        }
        d.write(MODEL, tmp -> Files.copy(modelZip, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING));
        d.writeString(METRICS, Json.pretty(metrics));
        d.writeString(PROVENANCE, Json.pretty(provenance));
    }

    public Network loadModel(int v) {
        FileStore d = version(v);
        return d.read(MODEL, p -> ModelExport.read(p, d.describe(MODEL)));
    }

    public Optional<JsonNode> provenance(int v) {
        return json(v, PROVENANCE);
    }

    public Optional<JsonNode> metrics(int v) {
        return json(v, METRICS);
    }

    public Optional<Decision> decision(int v) {
        FileStore d = version(v);
        if (!d.exists(DECISION)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.mapper().readValue(d.readString(DECISION), Decision.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + d.describe(DECISION) + ": " + e.getMessage(), e);
        }
    }

    public void writeDecision(Decision decision) {
        version(decision.version()).writeString(DECISION, Json.pretty(decision));
    }

    /** Makes the complete version {@code v} CURRENT (one atomic write); the old one goes onto the history. */
    public CurrentPointer promote(int v, String by) {
        if (!versions().contains(v)) {
            throw new SpecException("model '" + name + "' has no version v" + v + " in " + dir + " (versions: "
                    + versions() + ")");
        }
        if (!isComplete(v)) {
            throw new SpecException("version " + version(v) + " is incomplete (an interrupted retrain): it lacks "
                    + missing(v) + " and cannot be made CURRENT");
        }
        String now = Instant.now().toString();
        CurrentPointer next = current().map(c -> c.movedTo(v, now, by))
                .orElseGet(() -> new CurrentPointer(v, List.of(), now, by));
        dir.writeString(CURRENT, next.toJson());
        return next;
    }

    /** Makes the previously current version CURRENT again, dropping the present one from the history. */
    public CurrentPointer rollback() {
        CurrentPointer c = current().orElseThrow(() -> new SpecException("model '" + name + "' in " + dir
                + " has no CURRENT version to roll back from"));
        if (c.history().isEmpty()) {
            throw new SpecException("model '" + name + "': v" + c.version()
                    + " is the first version ever made CURRENT; there is nothing to roll back to");
        }
        List<Integer> h = c.history();
        int back = h.get(h.size() - 1);
        if (!isComplete(back)) {
            throw new IllegalStateException("version " + version(back) + " named in CURRENT's history is incomplete");
        }
        CurrentPointer next = new CurrentPointer(back, h.subList(0, h.size() - 1), Instant.now().toString(),
                "rollback from v" + c.version());
        dir.writeString(CURRENT, next.toJson());
        return next;
    }

    private List<String> missing(int v) {
        FileStore d = version(v);
        return List.of(MODEL, METRICS, PROVENANCE).stream().filter(f -> !d.exists(f)).toList();
    }

    private Optional<JsonNode> json(int v, String file) {
        FileStore d = version(v);
        if (!d.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.mapper().readTree(d.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + d.describe(file) + ": " + e.getMessage(), e);
        }
    }
}
