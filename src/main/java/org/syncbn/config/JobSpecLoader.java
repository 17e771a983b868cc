package org.syncbn.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Builds a validated {@link JobSpec} from HOCON: the classpath {@code defaults.conf} (a copy of
 * conf/defaults.conf, which is also the schema: its keys are exactly the known keys, and exactly the
 * components of the {@link JobSpec} records), then an optional job file, then {@code --set key=value}
 * overrides, resolved together; {@link SpecBinder} reads the result into the records.
 *
 * <p>Every user error is a one-line {@link SpecException} naming where the value came from
 * (job file, {@code --set}, ...), the key, the offending value and what was expected.
 */
public final class JobSpecLoader {

    private static final String DEFAULTS_RESOURCE = "defaults.conf";
    private static final String SET_ORIGIN = "--set";
    private static final String RESOLVED_ORIGIN = "resolved spec";

    private JobSpecLoader() {}

    /**
     * Loads a job: defaults, then {@code jobFile} (may be null), then each {@code key=value} of
     * {@code sets} in order (the value is parsed as a HOCON value: {@code train.workers=4},
     * {@code model.hidden=[64,32]}, {@code name=foo}).
     *
     * @throws SpecException on a missing or malformed job file, a malformed {@code --set}, an
     *         unknown key, a wrong type or an out-of-range value
     */
    public static JobSpec load(Path jobFile, List<String> sets) {
        Objects.requireNonNull(sets, "sets");
        Config merged = ConfigFactory.empty();
        for (String set : sets) {
            merged = parseSet(set).withFallback(merged);    // later --set wins
        }
        if (jobFile != null) {
            merged = merged.withFallback(parseJobFile(jobFile));
        }
        return build(merged);
    }

    /**
     * Like {@link #load(Path, List)} for a file that holds a job plus one extra top-level section
     * ({@code section}, e.g. a sweep's grid) which is not part of the job.
     */
    public static JobSpec loadWithout(Path jobFile, String section, List<String> sets) {
        Objects.requireNonNull(sets, "sets");
        Config merged = ConfigFactory.empty();
        for (String set : sets) {
            merged = parseSet(set).withFallback(merged);
        }
        return build(merged.withFallback(parseJobFile(jobFile).withoutPath(section)));
    }

    /** The raw HOCON of {@code jobFile} (for sections that are not part of the job). */
    public static Config parseFile(Path jobFile) {
        return parseJobFile(jobFile);
    }

    /**
     * Rebuilds a spec from the text of {@link JobSpec#resolvedHocon()} (e.g. from a checkpoint),
     * layered over the current defaults; {@code fromResolved(s.resolvedHocon()).equals(s)}.
     *
     * @throws SpecException if the text does not parse or does not validate
     */
    public static JobSpec fromResolved(String resolvedHocon) {
        Objects.requireNonNull(resolvedHocon, "resolvedHocon");
        return build(parse(resolvedHocon, RESOLVED_ORIGIN));
    }

    // ---- layers ------------------------------------------------------------------------------

    private static Config parseJobFile(Path jobFile) {
        if (!Files.exists(jobFile)) {
            throw new SpecException("job file not found: " + jobFile);
        }
        if (!Files.isRegularFile(jobFile)) {
            throw new SpecException("job file is not a regular file: " + jobFile);
        }
        ConfigParseOptions options = ConfigParseOptions.defaults()
                .setSyntax(ConfigSyntax.CONF).setAllowMissing(false);
        try {
            return ConfigFactory.parseFile(jobFile.toFile(), options);
        } catch (ConfigException e) {
            throw configError(e);
        }
    }

    /** One {@code key=value}: the key must be a path expression, the value one HOCON value. */
    private static Config parseSet(String set) {
        Objects.requireNonNull(set, "--set entry");
        int eq = set.indexOf('=');
        if (eq < 0) {
            throw new SpecException(SET_ORIGIN + " " + quote(set) + ": expected key=value, e.g. train.workers=4");
        }
        String key = set.substring(0, eq).strip();
        if (key.isEmpty()) {
            throw new SpecException(SET_ORIGIN + " " + quote(set) + ": empty key, expected key=value, e.g. train.workers=4");
        }
        List<String> path;
        try {
            path = ConfigUtil.splitPath(key);
        } catch (ConfigException e) {
            throw new SpecException(SET_ORIGIN + " " + quote(set) + ": invalid key " + quote(key)
                    + ", expected a dotted key such as train.workers");
        }
        String text = set.substring(eq + 1);
        Config layer;
        try {
            layer = ConfigFactory.parseString(ConfigUtil.joinPath(path) + " = " + text,
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setOriginDescription(SET_ORIGIN)
                            .setIncluder(new NoIncludes(SET_ORIGIN + " " + quote(set))));
        } catch (ConfigException e) {
            // not HOCON on its own (bn.mode=group:3, spark.master=local[4], data.dir=hdfs://nn/x): the
            // rest of the argument is the value, as a shell user means it; the key's rules still check it
            return plainString(path, text);
        }
        if (readsOtherwise(layer, path, text)) {
            return plainString(path, text);
        }
        // The value must not smuggle in further keys ("train.workers=4, train.epochs=2").
        ConfigObject object = layer.root();
        for (String segment : path) {
            if (object.size() != 1 || !object.containsKey(segment)) {
                throw new SpecException(SET_ORIGIN + " " + quote(set) + ": expected a single value for "
                        + ConfigUtil.joinPath(path) + " (use one --set per key)");
            }
            ConfigValue next = object.get(segment);
            if (!(next instanceof ConfigObject child)) {
                break;
            }
            object = child;
        }
        return layer;
    }

    /** {@code text}, stripped, as the string value of {@code path}. */
    private static Config plainString(List<String> path, String text) {
        return ConfigValueFactory.fromAnyRef(text.strip(), SET_ORIGIN).atPath(ConfigUtil.joinPath(path));
    }

    /**
     * Whether HOCON reads an unquoted single string other than what was typed: a comment start cuts it
     * ({@code name=run#2} would be "run", {@code data.dir=/a//b} "/a"). Quoted strings, numbers, lists and
     * several keys are HOCON's to read.
     */
    private static boolean readsOtherwise(Config layer, List<String> path, String text) {
        String typed = text.strip();
        if (typed.startsWith("\"") || !layer.hasPath(ConfigUtil.joinPath(path))) {
            return false;
        }
        ConfigValue value = layer.getValue(ConfigUtil.joinPath(path));
        return value.valueType() == com.typesafe.config.ConfigValueType.STRING && layer.root().size() == 1
                && !typed.equals(value.unwrapped());
    }

    /** Text that is not a job file (a resolved spec, defaults.conf): parsed with includes refused. */
    private static Config parse(String text, String originDescription) {
        try {
            return ConfigFactory.parseString(text, ConfigParseOptions.defaults()
                    .setSyntax(ConfigSyntax.CONF).setOriginDescription(originDescription)
                    .setIncluder(new NoIncludes(originDescription)));
        } catch (ConfigException e) {
            throw configError(e);
        }
    }

    private static Config defaults() {
        try (InputStream in = JobSpecLoader.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("classpath resource org/syncbn/config/" + DEFAULTS_RESOURCE
                        + " is missing (the build copies conf/defaults.conf there)");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), DEFAULTS_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read classpath " + DEFAULTS_RESOURCE, e);
        }
    }

    // ---- build -------------------------------------------------------------------------------

    private static JobSpec build(Config userLayers) {
        Config defaults = defaults();
        Config merged;
        try {
            merged = userLayers.withFallback(defaults).resolve();
        } catch (ConfigException e) {
            throw configError(e);
        }
        SpecBinder.requireSameKeys(JobSpec.class, defaults.root(), "");
        checkKnownKeys(merged.root(), defaults.root(), "");
        return SpecBinder.bind(merged);
    }

    /** The spec of conf/defaults.conf alone. */
    public static JobSpec defaultSpec() {
        return build(ConfigFactory.empty());
    }

    /**
     * {@code base} with the keys of {@code values} replaced by typed values (Integer, Double, Boolean,
     * String, a {@link JobSpec.Choice} constant, {@link org.syncbn.bn.BnMode}, a List of them), checked
     * by the same rules as a job file; an error names {@code origin} (e.g. "SyncBnClassifier params").
     */
    public static JobSpec override(JobSpec base, Map<String, Object> values, String origin) {
        Config merged = ConfigValueFactory.fromMap(SpecBinder.plainValues(base), RESOLVED_ORIGIN).toConfig();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            merged = ConfigValueFactory.fromAnyRef(SpecBinder.plain(e.getValue()), origin).atPath(e.getKey())
                    .withFallback(merged);
        }
        return build(merged);
    }

    /** Rejects keys that defaults.conf does not have, and sections replaced by a non-object. */
    private static void checkKnownKeys(ConfigObject actual, ConfigObject schema, String section) {
        for (String key : new TreeSet<>(actual.keySet())) {
            String path = SpecBinder.path(section, key);
            ConfigValue value = actual.get(key);
            ConfigValue expected = schema.get(key);
            if (expected == null) {
                String known = section.isEmpty() ? "known top-level keys" : "known keys in '" + section + "'";
                throw new SpecException(SpecBinder.where(firstLeaf(value)) + ": unknown key '" + path + "' ("
                        + known + ": " + String.join(", ", new TreeSet<>(schema.keySet())) + ")");
            }
            if (expected instanceof ConfigObject expectedSection) {
                if (!(value instanceof ConfigObject actualSection)) {
                    throw new SpecException(SpecBinder.where(value) + ": " + path + " = " + SpecBinder.show(value)
                            + ": expected a section with keys " + String.join(", ", new TreeSet<>(expectedSection.keySet())));
                }
                checkKnownKeys(actualSection, expectedSection, path);
            }
        }
    }

    // ---- messages ----------------------------------------------------------------------------

    private static ConfigValue firstLeaf(ConfigValue value) {
        while (value instanceof ConfigObject object && !object.isEmpty()) {
            value = object.get(new TreeSet<>(object.keySet()).first());
        }
        return value;
    }

    private static String quote(String s) {
        return ConfigUtil.quoteString(s);
    }

    private static SpecException configError(ConfigException e) {
        ConfigOrigin origin = e.origin();
        if (origin == null) {
            return new SpecException(oneLine(e.getMessage()), e);
        }
        String file = origin.filename() != null ? origin.filename() : origin.withLineNumber(-1).description();
        String line = origin.lineNumber() >= 0 ? ":" + origin.lineNumber() : "";
        return new SpecException(file + line + ": " + stripOrigin(e), e);
    }

    /** A ConfigException's message without its "origin: line: " prefix, on one line. */
    private static String stripOrigin(ConfigException e) {
        String message = e.getMessage();
        if (e.origin() != null && message.startsWith(e.origin().description() + ": ")) {
            message = message.substring(e.origin().description().length() + 2);
        }
        return oneLine(message);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
