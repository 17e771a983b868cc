package org.syncbn.config;

import org.syncbn.bn.BnMode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.DoublePredicate;
import java.util.regex.Pattern;

/**
 * Builds a validated {@link JobSpec} from HOCON: the classpath {@code defaults.conf} (a copy of
 * conf/defaults.conf, which is also the schema: its keys are exactly the known keys), then an
 * optional job file, then {@code --set key=value} overrides, resolved together.
 *
 * <p>Every user error is a one-line {@link SpecException} naming where the value came from
 * (job file, {@code --set}, ...), the key, the offending value and what was expected.
 * Types are strict: integer keys take whole numbers only, boolean keys only true/false, numeric
 * keys never take quoted strings; string keys also take a bare number or boolean by its text
 * (so {@code --set name=2024} works), and choice keys are matched case-insensitively.
 */
public final class JobSpecLoader {

    private static final String DEFAULTS_RESOURCE = "defaults.conf";
    private static final String SET_ORIGIN = "--set";
    private static final String RESOLVED_ORIGIN = "resolved spec";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final int MAX_WORKERS = 4096;
    private static final int MAX_SHOWN_VALUE = 80;

    private static final List<String> DTYPES = List.of("float", "double");
    private static final List<String> DATA_FORMATS = List.of("idx", "csv", "libsvm", "parquet");
    private static final List<String> MODEL_TYPES = List.of("mlp", "cnn");
    private static final List<String> RENDEZVOUS = List.of("driver", "barrier");
    private static final List<String> ACTIVATIONS = List.of("relu", "tanh", "sigmoid", "leakyrelu", "elu");
    private static final List<String> WEIGHT_INITS = List.of("xavier", "relu", "uniform");
    private static final List<String> UPDATERS = List.of("sgd", "nesterovs", "adam");
    private static final List<String> LR_SCALINGS = List.of("none", "linear", "sqrt");
    private static final List<String> LR_DECAYS = List.of("none", "step", "cosine");

    private static final ConfigRenderOptions HOCON_RENDER = ConfigRenderOptions.defaults()
            .setJson(false).setFormatted(true).setComments(false).setOriginComments(false);

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
        Config layer;
        try {
            layer = ConfigFactory.parseString(ConfigUtil.joinPath(path) + " = " + set.substring(eq + 1),
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setOriginDescription(SET_ORIGIN));
        } catch (ConfigException e) {
            throw new SpecException(SET_ORIGIN + " " + quote(set) + ": invalid HOCON value ("
                    + stripOrigin(e) + "); quote strings with special characters, e.g. spark.master=\"local[4]\"");
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

    private static Config parse(String text, String originDescription) {
        try {
            return ConfigFactory.parseString(text, ConfigParseOptions.defaults()
                    .setSyntax(ConfigSyntax.CONF).setOriginDescription(originDescription));
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
        checkKnownKeys(merged.root(), defaults.root(), "");
        Reader r = new Reader(merged);
        String name = r.name("name");
        long seed = r.longInteger("seed");
        JobSpec.Dtype dtype = JobSpec.Dtype.valueOf(r.choice("dtype", DTYPES).toUpperCase(Locale.ROOT));
        JobSpec.DataSpec data = new JobSpec.DataSpec(
                r.choice("data.format", DATA_FORMATS),
                r.nonEmptyString("data.dir"),
                r.nonEmptyString("data.trainImages"),
                r.nonEmptyString("data.trainLabels"),
                r.nonEmptyString("data.testImages"),
                r.nonEmptyString("data.testLabels"),
                r.string("data.trainFile"),
                r.string("data.testFile"),
                r.stringList("data.featureCols"),
                r.nonEmptyString("data.labelCol"),
                r.integer("data.numClasses", 2, Integer.MAX_VALUE),
                r.bool("data.shuffle"),
                r.integer("data.maxTrainExamples", 0, Integer.MAX_VALUE),
                r.integer("data.maxTestExamples", 0, Integer.MAX_VALUE));
        JobSpec.ModelSpec model = new JobSpec.ModelSpec(
                r.choice("model.type", MODEL_TYPES),
                r.positiveIntList("model.hidden"),
                r.positiveIntList("model.convChannels"),
                r.integer("model.convKernel", 1, 99),
                r.choice("model.activation", ACTIVATIONS),
                r.choice("model.weightInit", WEIGHT_INITS));
        JobSpec.BnSpec bn = new JobSpec.BnSpec(
                bnMode(r),
                r.real("bn.decay", x -> x >= 0 && x < 1, "a number in [0, 1)"),
                r.real("bn.eps", x -> x > 0, "a number > 0"),
                r.bool("bn.useLogStd"),
                r.integer("bn.precise.examples", 0, Integer.MAX_VALUE));
        JobSpec.TrainSpec train = new JobSpec.TrainSpec(
                r.integer("train.workers", 1, MAX_WORKERS),
                r.integer("train.batchPerWorker", 1, Integer.MAX_VALUE),
                r.integer("train.epochs", 1, Integer.MAX_VALUE),
                r.integer("train.stepsPerRound", 1, Integer.MAX_VALUE),
                r.integer("train.evalEveryEpochs", 1, Integer.MAX_VALUE),
                r.integer("train.roundAttempts", 1, 100),
                r.integer("train.threadsPerWorker", 0, 1024));
        JobSpec.OptimSpec optim = new JobSpec.OptimSpec(
                r.choice("optim.updater", UPDATERS),
                r.real("optim.lr", x -> x > 0, "a finite number > 0"),
                r.real("optim.momentum", x -> x >= 0 && x < 1, "a number in [0, 1)"),
                r.real("optim.l2", x -> x >= 0, "a number >= 0"),
                r.choice("optim.lrScaling", LR_SCALINGS),
                r.integer("optim.baseBatch", 1, Integer.MAX_VALUE),
                r.real("optim.warmupEpochs", x -> x >= 0, "a number >= 0"),
                r.choice("optim.decay", LR_DECAYS),
                r.real("optim.decayFactor", x -> x > 0 && x <= 1, "a number in (0, 1]"),
                r.nonNegativeRealList("optim.decayEpochs"));
        JobSpec.CheckpointSpec checkpoint = new JobSpec.CheckpointSpec(
                r.integer("checkpoint.everyRounds", 0, Integer.MAX_VALUE));
        JobSpec.SparkSpec spark = new JobSpec.SparkSpec(r.string("spark.master"),
                r.integer("spark.slotWaitSec", 0, 86_400));
        JobSpec.CollectiveSpec collective = new JobSpec.CollectiveSpec(
                r.integer("collective.timeoutSec", 1, 86_400),
                JobSpec.Rendezvous.valueOf(r.choice("collective.rendezvous", RENDEZVOUS).toUpperCase(Locale.ROOT)));
        JobSpec.RetrainSpec retrain = new JobSpec.RetrainSpec(
                r.nonEmptyString("retrain.registry"),
                retrainModel(r),
                r.string("retrain.snapshotRoot"),
                r.string("retrain.snapshotPattern"),
                r.string("retrain.holdoutDir"),
                r.real("retrain.maxRegression", x -> x >= 0 && x <= 1, "a number in [0, 1]"),
                r.integer("retrain.lockStaleSec", 10, 7 * 86_400));
        r.checkAllRead(defaults.root());

        if (data.isTable()) {
            for (String key : List.of("trainFile", "testFile")) {
                String file = key.equals("trainFile") ? data.trainFile() : data.testFile();
                if (file.isEmpty()) {
                    throw new SpecException("data." + key + " is empty: data.format = " + data.format()
                            + " needs the " + (key.equals("trainFile") ? "training" : "test") + " file's name");
                }
            }
        }
        BnMode mode = BnMode.parse(bn.mode());
        if (mode.kind() == BnMode.Kind.GROUP && train.workers() % mode.size() != 0) {
            throw new SpecException("bn.mode = " + mode + " needs train.workers divisible by " + mode.size()
                    + ", but train.workers = " + train.workers());
        }
        JobSpec unrendered = new JobSpec(name, seed, dtype, data, model, bn, train, optim, checkpoint, spark,
                collective, retrain, "");
        return new JobSpec(name, seed, dtype, data, model, bn, train, optim, checkpoint, spark, collective,
                retrain, render(unrendered));
    }

    /** BatchNorm statistics mode in its canonical spelling (see {@link BnMode}). */
    private static String bnMode(Reader r) {
        return r.matching("bn.mode", text -> BnMode.parse(text).toString(), BnMode.EXPECTED);
    }

    /** A registry model name: empty (the job's name) or a name usable as a directory. */
    private static String retrainModel(Reader r) {
        String expected = "\"\" (the job's name) or a string of letters, digits, '.', '_' or '-'";
        return r.matching("retrain.model", text -> {
            if (!text.isEmpty() && (!NAME.matcher(text).matches() || text.startsWith("."))) {
                throw new IllegalArgumentException(text);
            }
            return text;
        }, expected);
    }

    /** Rejects keys that defaults.conf does not have, and sections replaced by a non-object. */
    private static void checkKnownKeys(ConfigObject actual, ConfigObject schema, String section) {
        for (String key : new TreeSet<>(actual.keySet())) {
            String path = section.isEmpty() ? ConfigUtil.joinPath(key) : section + "." + ConfigUtil.joinPath(key);
            ConfigValue value = actual.get(key);
            ConfigValue expected = schema.get(key);
            if (expected == null) {
                String known = section.isEmpty() ? "known top-level keys" : "known keys in '" + section + "'";
                throw new SpecException(where(firstLeaf(value)) + ": unknown key '" + path + "' ("
                        + known + ": " + String.join(", ", new TreeSet<>(schema.keySet())) + ")");
            }
            if (expected instanceof ConfigObject expectedSection) {
                if (!(value instanceof ConfigObject actualSection)) {
                    throw new SpecException(where(value) + ": " + path + " = " + show(value)
                            + ": expected a section with keys " + String.join(", ", new TreeSet<>(expectedSection.keySet())));
                }
                checkKnownKeys(actualSection, expectedSection, path);
            }
        }
    }

    // ---- rendering ---------------------------------------------------------------------------

    /** Canonical text of a spec: built from the validated values, so equal specs render equally. */
    private static String render(JobSpec s) {
        Map<String, Object> root = new TreeMap<>();
        root.put("name", s.name());
        root.put("seed", s.seed());
        root.put("dtype", s.dtype().name().toLowerCase(Locale.ROOT));
        JobSpec.DataSpec d = s.data();
        root.put("data", section(
                "format", d.format(), "dir", d.dir(),
                "trainImages", d.trainImages(), "trainLabels", d.trainLabels(),
                "testImages", d.testImages(), "testLabels", d.testLabels(),
                "trainFile", d.trainFile(), "testFile", d.testFile(),
                "featureCols", d.featureCols(), "labelCol", d.labelCol(),
                "numClasses", d.numClasses(), "shuffle", d.shuffle(),
                "maxTrainExamples", d.maxTrainExamples(), "maxTestExamples", d.maxTestExamples()));
        JobSpec.ModelSpec m = s.model();
        root.put("model", section("type", m.type(), "hidden", m.hidden(), "convChannels", m.convChannels(),
                "convKernel", m.convKernel(), "activation", m.activation(), "weightInit", m.weightInit()));
        JobSpec.BnSpec b = s.bn();
        root.put("bn", section("mode", b.mode(), "decay", b.decay(), "eps", b.eps(), "useLogStd", b.useLogStd(),
                "precise", section("examples", b.preciseExamples())));
        JobSpec.TrainSpec t = s.train();
        root.put("train", section("workers", t.workers(), "batchPerWorker", t.batchPerWorker(),
                "epochs", t.epochs(), "stepsPerRound", t.stepsPerRound(), "evalEveryEpochs", t.evalEveryEpochs(),
                "roundAttempts", t.roundAttempts(), "threadsPerWorker", t.threadsPerWorker()));
        JobSpec.OptimSpec o = s.optim();
        root.put("optim", section("updater", o.updater(), "lr", o.lr(), "momentum", o.momentum(), "l2", o.l2(),
                "lrScaling", o.lrScaling(), "baseBatch", o.baseBatch(), "warmupEpochs", o.warmupEpochs(),
                "decay", o.decay(), "decayFactor", o.decayFactor(), "decayEpochs", o.decayEpochs()));
        root.put("checkpoint", section("everyRounds", s.checkpoint().everyRounds()));
        root.put("spark", section("master", s.spark().master(), "slotWaitSec", s.spark().slotWaitSec()));
        root.put("collective", section("timeoutSec", s.collective().timeoutSec(),
                "rendezvous", s.collective().rendezvous().name().toLowerCase(Locale.ROOT)));
        JobSpec.RetrainSpec rt = s.retrain();
        root.put("retrain", section("registry", rt.registry(), "model", rt.model(),
                "snapshotRoot", rt.snapshotRoot(), "snapshotPattern", rt.snapshotPattern(),
                "holdoutDir", rt.holdoutDir(), "maxRegression", rt.maxRegression(),
                "lockStaleSec", rt.lockStaleSec()));
        return ConfigValueFactory.fromMap(root).render(HOCON_RENDER);
    }

    private static Map<String, Object> section(Object... keysAndValues) {
        Map<String, Object> map = new TreeMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    // ---- messages ----------------------------------------------------------------------------

    /** Where a value came from: job file path, {@code --set}, {@code defaults.conf}, ... */
    private static String where(ConfigValue value) {
        ConfigOrigin origin = value.origin();
        return origin.filename() != null ? origin.filename() : origin.withLineNumber(-1).description();
    }

    private static ConfigValue firstLeaf(ConfigValue value) {
        while (value instanceof ConfigObject object && !object.isEmpty()) {
            value = object.get(new TreeSet<>(object.keySet()).first());
        }
        return value;
    }

    /** A value as one line of JSON, shortened if long. */
    private static String show(ConfigValue value) {
        String text = value.render(ConfigRenderOptions.concise());
        return text.length() <= MAX_SHOWN_VALUE ? text : text.substring(0, MAX_SHOWN_VALUE) + "...";
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

    // ---- typed reads -------------------------------------------------------------------------

    /** Reads leaf values of the merged config by path, recording which keys were read. */
    private static final class Reader {
        private final Config config;
        private final Set<String> read = new HashSet<>();

        Reader(Config merged) {
            this.config = merged;
        }

        private ConfigValue value(String path) {
            read.add(path);
            ConfigValue value = config.root();
            for (String key : ConfigUtil.splitPath(path)) {
                value = value instanceof ConfigObject object ? object.get(key) : null;
                if (value == null) {
                    throw new IllegalStateException("JobSpecLoader reads '" + path + "', which defaults.conf lacks");
                }
            }
            return value;
        }

        private SpecException invalid(String path, ConfigValue value, String expected) {
            String shown = value.valueType() == ConfigValueType.NUMBER ? config.getString(path) : show(value);
            return new SpecException(where(value) + ": " + path + " = " + shown + ": expected " + expected);
        }

        private static String rangeText(long min, long max) {
            return max == Integer.MAX_VALUE ? "an integer >= " + min : "an integer in [" + min + ", " + max + "]";
        }

        /** A whole number (HOCON stores 2.0 as the integer 2), or null if the value is not one. */
        private static Long whole(ConfigValue value) {
            if (value.valueType() == ConfigValueType.NUMBER) {
                Object n = value.unwrapped();
                if (n instanceof Integer || n instanceof Long) {
                    return ((Number) n).longValue();
                }
            }
            return null;
        }

        int integer(String path, int min, int max) {
            ConfigValue value = value(path);
            Long n = whole(value);
            if (n == null || n < min || n > max) {
                throw invalid(path, value, rangeText(min, max));
            }
            return n.intValue();
        }

        long longInteger(String path) {
            ConfigValue value = value(path);
            Long n = whole(value);
            if (n == null) {
                throw invalid(path, value, "a 64-bit integer");
            }
            return n;
        }

        double real(String path, DoublePredicate inRange, String expected) {
            ConfigValue value = value(path);
            if (value.valueType() == ConfigValueType.NUMBER) {
                double x = ((Number) value.unwrapped()).doubleValue();
                if (Double.isFinite(x) && inRange.test(x)) {
                    return x;
                }
            }
            throw invalid(path, value, expected);
        }

        boolean bool(String path) {
            ConfigValue value = value(path);
            if (value.valueType() != ConfigValueType.BOOLEAN) {
                throw invalid(path, value, "true or false");
            }
            return (Boolean) value.unwrapped();
        }

        /** Any string; a bare number or boolean counts as its text. */
        String string(String path) {
            return stringOr(path, value(path), "a string");
        }

        String nonEmptyString(String path) {
            ConfigValue value = value(path);
            String s = stringOr(path, value, "a non-empty string");
            if (s.isEmpty()) {
                throw invalid(path, value, "a non-empty string");
            }
            return s;
        }

        String name(String path) {
            ConfigValue value = value(path);
            String expected = "a non-empty string of letters, digits, '.', '_' or '-'";
            String s = stringOr(path, value, expected);
            if (!NAME.matcher(s).matches()) {
                throw invalid(path, value, expected);
            }
            return s;
        }

        /** A string accepted by {@code parser} (which throws IllegalArgumentException otherwise). */
        String matching(String path, java.util.function.UnaryOperator<String> parser, String expected) {
            ConfigValue value = value(path);
            String s = stringOr(path, value, expected);
            try {
                return parser.apply(s);
            } catch (IllegalArgumentException e) {
                throw invalid(path, value, expected);
            }
        }

        /** One of {@code allowed}, ignoring case; returns the canonical (lower-case) spelling. */
        String choice(String path, List<String> allowed) {
            ConfigValue value = value(path);
            String expected = allowed.size() == 1 ? allowed.get(0) : "one of " + String.join(", ", allowed);
            String s = stringOr(path, value, expected);
            for (String option : allowed) {
                if (option.equalsIgnoreCase(s)) {
                    return option;
                }
            }
            throw invalid(path, value, expected);
        }

        List<Double> nonNegativeRealList(String path) {
            return list(path, "a list of numbers >= 0, e.g. [30, 60, 80] (may be empty)", true, element -> {
                if (element.valueType() != ConfigValueType.NUMBER) {
                    return null;
                }
                double x = ((Number) element.unwrapped()).doubleValue();
                return x >= 0 && !Double.isInfinite(x) ? x : null;
            });
        }

        List<Integer> positiveIntList(String path) {
            return list(path, "a non-empty list of integers >= 1, e.g. [256, 128]", false, element -> {
                Long n = whole(element);
                return n == null || n < 1 || n > Integer.MAX_VALUE ? null : n.intValue();
            });
        }

        /** A list of non-empty strings, possibly empty. */
        List<String> stringList(String path) {
            return list(path, "a list of column names, e.g. [\"x1\", \"x2\"] (or [] for all)", true, element ->
                    element.valueType() == ConfigValueType.STRING && !((String) element.unwrapped()).isEmpty()
                            ? (String) element.unwrapped() : null);
        }

        /**
         * The list at {@code path}, each element converted by {@code element} (null: not allowed);
         * any wrong element, a non-list, or an empty list when {@code mayBeEmpty} is false is
         * reported as the whole value against {@code expected}.
         */
        private <T> List<T> list(String path, String expected, boolean mayBeEmpty,
                                 java.util.function.Function<ConfigValue, T> element) {
            ConfigValue value = value(path);
            if (!(value instanceof ConfigList list) || (!mayBeEmpty && list.isEmpty())) {
                throw invalid(path, value, expected);
            }
            List<T> result = new ArrayList<>(list.size());
            for (ConfigValue e : list) {
                T converted = element.apply(e);
                if (converted == null) {
                    throw invalid(path, value, expected);
                }
                result.add(converted);
            }
            return List.copyOf(result);
        }

        private String stringOr(String path, ConfigValue value, String expected) {
            return switch (value.valueType()) {
                case STRING -> (String) value.unwrapped();
                case NUMBER, BOOLEAN -> config.getString(path);   // the text as written: 007 stays 007
                default -> throw invalid(path, value, expected);
            };
        }

        /** Guards against defaults.conf gaining a key that this loader silently ignores. */
        void checkAllRead(ConfigObject schema) {
            Set<String> leaves = new TreeSet<>();
            collectLeaves(schema, "", leaves);
            leaves.removeAll(read);
            if (!leaves.isEmpty()) {
                throw new IllegalStateException("defaults.conf keys not handled by JobSpecLoader: " + leaves);
            }
        }

        private static void collectLeaves(ConfigObject object, String prefix, Set<String> out) {
            object.forEach((key, value) -> {
                String path = prefix + ConfigUtil.joinPath(key);
                if (value instanceof ConfigObject child) {
                    collectLeaves(child, path + ".", out);
                } else {
                    out.add(path);
                }
            });
        }
    }
}
