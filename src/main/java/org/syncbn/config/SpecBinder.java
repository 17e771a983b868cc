package org.syncbn.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import org.syncbn.bn.BnMode;
import org.syncbn.config.Rule.Bounds;
import org.syncbn.config.Rule.Expected;
import org.syncbn.config.Rule.Interval;
import org.syncbn.config.Rule.Matching;
import org.syncbn.config.Rule.NonEmpty;
import org.syncbn.config.Rule.Sizes;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Binds resolved HOCON to the {@link JobSpec} records and renders them back: a record component is
 * the key of its name, a nested record its section, and the component's type with its {@link Rule}
 * annotations is what the key accepts. Every user error is one {@link SpecException} line naming
 * where the value came from, the key, the value and what was expected.
 *
 * <p>Types are strict: integer keys take whole numbers only, boolean keys only true/false, numeric
 * keys never take quoted strings; string keys also take a bare number or boolean by its text (so
 * {@code --set name=2024} works); choices ({@link JobSpec.Choice} enums, {@link BnMode}) are matched
 * case-insensitively and rendered in their canonical spelling.
 */
final class SpecBinder {
    private static final int MAX_SHOWN_VALUE = 80;
    private static final ConfigRenderOptions HOCON = ConfigRenderOptions.defaults()
            .setJson(false).setFormatted(true).setComments(false).setOriginComments(false);

    private final Config config;

    private SpecBinder(Config config) {
        this.config = config;
    }

    /** The spec of a resolved configuration that holds every key of the schema. */
    static JobSpec bind(Config merged) {
        return new SpecBinder(merged).record(JobSpec.class, merged.root(), "");
    }

    /** The canonical text of a spec: built from its typed values, so equal specs render equally. */
    static String render(JobSpec spec) {
        return ConfigValueFactory.fromMap(plainValues(spec)).render(HOCON);
    }

    /** A spec as nested maps of plain values (numbers, booleans, strings, lists), keys sorted. */
    static Map<String, Object> plainValues(Record section) {
        Map<String, Object> map = new TreeMap<>();
        for (RecordComponent c : section.getClass().getRecordComponents()) {
            try {
                map.put(c.getName(), plain(c.getAccessor().invoke(section)));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + c, e);
            }
        }
        return map;
    }

    /** A typed value as the plain value HOCON holds for it. */
    static Object plain(Object value) {
        if (value instanceof Record r && isSection(r.getClass())) {
            return plainValues(r);
        }
        if (value instanceof JobSpec.Choice c) {
            return c.key();
        }
        if (value instanceof BnMode m) {
            return m.toString();
        }
        if (value instanceof List<?> list) {
            return new ArrayList<>(list);
        }
        return value;
    }

    /**
     * Guards against conf/defaults.conf and the records drifting apart: every leaf of the schema is a
     * component and every component a key of the schema.
     */
    static void requireSameKeys(Class<? extends Record> type, ConfigObject schema, String prefix) {
        Set<String> keys = new TreeSet<>(schema.keySet());
        for (RecordComponent c : type.getRecordComponents()) {
            String path = prefix + c.getName();
            ConfigValue value = schema.get(c.getName());
            if (value == null) {
                throw new IllegalStateException("JobSpec has '" + path + "', which defaults.conf lacks");
            }
            keys.remove(c.getName());
            if (isSection(c.getType())) {
                if (!(value instanceof ConfigObject section)) {
                    throw new IllegalStateException("defaults.conf has '" + path + "' as a value, JobSpec as a section");
                }
                requireSameKeys(c.getType().asSubclass(Record.class), section, path + ".");
            }
        }
        if (!keys.isEmpty()) {
            throw new IllegalStateException("defaults.conf keys not in JobSpec: " + keys.stream().map(k -> prefix + k).toList());
        }
    }

    /** A section of keys: one of JobSpec's own records (a record elsewhere, such as BnMode, is a value). */
    private static boolean isSection(Class<?> type) {
        return type.isRecord() && (type == JobSpec.class || type.getEnclosingClass() == JobSpec.class);
    }

    // ---- reading ---------------------------------------------------------------------------------

    private <R extends Record> R record(Class<R> type, ConfigObject object, String prefix) {
        RecordComponent[] components = type.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            String path = prefix + c.getName();
            ConfigValue value = object.get(c.getName());
            if (value == null) {
                throw new IllegalStateException("JobSpec reads '" + path + "', which defaults.conf lacks");
            }
            values[i] = isSection(c.getType())
                    ? record(c.getType().asSubclass(Record.class), (ConfigObject) value, path + ".")
                    : leaf(c, path, value);
        }
        try {
            Constructor<R> ctor = type.getDeclaredConstructor(types);
            return ctor.newInstance(values);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build " + type.getName(), e);
        }
    }

    private Object leaf(RecordComponent c, String path, ConfigValue value) {
        Class<?> type = c.getType();
        if (type == int.class) {
            Bounds b = c.getAnnotation(Bounds.class);
            long min = b == null ? Integer.MIN_VALUE : Math.max(b.min(), Integer.MIN_VALUE);
            long max = b == null ? Integer.MAX_VALUE : b.max();
            Long n = whole(value);
            if (n == null || n < min || n > max) {
                throw invalid(path, value, expected(c, integerText(min, max)));
            }
            return n.intValue();
        }
        if (type == long.class) {
            Long n = whole(value);
            if (n == null) {
                throw invalid(path, value, expected(c, "a 64-bit integer"));
            }
            return n;
        }
        if (type == double.class) {
            Interval r = c.getAnnotation(Interval.class);
            if (value.valueType() == ConfigValueType.NUMBER) {
                double x = ((Number) value.unwrapped()).doubleValue();
                if (Double.isFinite(x) && inside(r, x)) {
                    return x;
                }
            }
            throw invalid(path, value, expected(c, realText(r)));
        }
        if (type == boolean.class) {
            if (value.valueType() != ConfigValueType.BOOLEAN) {
                throw invalid(path, value, expected(c, "true or false"));
            }
            return value.unwrapped();
        }
        if (type == String.class) {
            return string(c, path, value);
        }
        if (type == BnMode.class) {
            String s = stringOr(path, value, BnMode.EXPECTED);
            try {
                return BnMode.parse(s);
            } catch (IllegalArgumentException e) {
                throw invalid(path, value, BnMode.EXPECTED);
            }
        }
        if (type.isEnum() && JobSpec.Choice.class.isAssignableFrom(type)) {
            return choice(type, path, value);
        }
        if (type == List.class) {
            return list(c, path, value);
        }
        throw new IllegalStateException("JobSpec component " + path + " has a type SpecBinder does not read: " + type);
    }

    private String string(RecordComponent c, String path, ConfigValue value) {
        Matching m = c.getAnnotation(Matching.class);
        boolean nonEmpty = c.isAnnotationPresent(NonEmpty.class);
        String expected = m != null ? m.expected() : nonEmpty ? "a non-empty string" : "a string";
        String s = stringOr(path, value, expected);
        if ((nonEmpty && s.isEmpty()) || (m != null && !Pattern.matches(m.regex(), s))) {
            throw invalid(path, value, expected);
        }
        return s;
    }

    private Object choice(Class<?> type, String path, ConfigValue value) {
        Object[] options = type.getEnumConstants();
        List<String> names = new ArrayList<>();
        for (Object o : options) {
            names.add(((JobSpec.Choice) o).key());
        }
        String expected = names.size() == 1 ? names.get(0) : "one of " + String.join(", ", names);
        String s = stringOr(path, value, expected);
        for (Object o : options) {
            if (((JobSpec.Choice) o).key().equalsIgnoreCase(s)) {
                return o;
            }
        }
        throw invalid(path, value, expected);
    }

    /** A list of whole numbers, numbers or non-empty strings, by the component's element type. */
    private List<?> list(RecordComponent c, String path, ConfigValue value) {
        String expected = c.getAnnotation(Expected.class).value();
        boolean nonEmpty = c.isAnnotationPresent(NonEmpty.class);
        Sizes sizes = c.getAnnotation(Sizes.class);
        if (!(value instanceof ConfigList list) || (nonEmpty && list.isEmpty())
                || (sizes != null && Arrays.stream(sizes.value()).noneMatch(n -> n == list.size()))) {
            throw invalid(path, value, expected);
        }
        Type element = ((ParameterizedType) c.getGenericType()).getActualTypeArguments()[0];
        Bounds bounds = c.getAnnotation(Bounds.class);
        Interval interval = c.getAnnotation(Interval.class);
        List<Object> out = new ArrayList<>(list.size());
        for (ConfigValue e : list) {
            Object converted = null;
            if (element == Integer.class) {
                Long n = whole(e);
                long min = bounds == null ? Integer.MIN_VALUE : bounds.min();
                long max = bounds == null ? Integer.MAX_VALUE : bounds.max();
                converted = n == null || n < min || n > max ? null : n.intValue();
            } else if (element == Double.class && e.valueType() == ConfigValueType.NUMBER) {
                double x = ((Number) e.unwrapped()).doubleValue();
                converted = Double.isFinite(x) && inside(interval, x) ? x : null;
            } else if (element == String.class && e.valueType() == ConfigValueType.STRING
                    && !((String) e.unwrapped()).isEmpty()) {
                converted = e.unwrapped();
            }
            if (converted == null) {
                throw invalid(path, value, expected);
            }
            out.add(converted);
        }
        return List.copyOf(out);
    }

    /** A string value; a bare number or boolean counts as its text as written (007 stays 007). */
    private String stringOr(String path, ConfigValue value, String expected) {
        return switch (value.valueType()) {
            case STRING -> (String) value.unwrapped();
            case NUMBER, BOOLEAN -> config.getString(path);
            default -> throw invalid(path, value, expected);
        };
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

    private static boolean inside(Interval r, double x) {
        if (r == null) {
            return true;
        }
        boolean lo = r.loOpen() ? x > r.lo() : x >= r.lo();
        boolean hi = r.hiOpen() ? x < r.hi() : x <= r.hi();
        return lo && hi;
    }

    // ---- wording ---------------------------------------------------------------------------------

    private static String expected(RecordComponent c, String generated) {
        Expected e = c.getAnnotation(Expected.class);
        return e != null ? e.value() : generated;
    }

    private static String integerText(long min, long max) {
        return max == Integer.MAX_VALUE ? "an integer >= " + min : "an integer in [" + min + ", " + max + "]";
    }

    private static String realText(Interval r) {
        if (r == null || (r.lo() == Double.NEGATIVE_INFINITY && r.hi() == Double.POSITIVE_INFINITY)) {
            return "a finite number";
        }
        if (r.hi() == Double.POSITIVE_INFINITY) {
            return "a number " + (r.loOpen() ? "> " : ">= ") + number(r.lo());
        }
        if (r.lo() == Double.NEGATIVE_INFINITY) {
            return "a number " + (r.hiOpen() ? "< " : "<= ") + number(r.hi());
        }
        return "a number in " + (r.loOpen() ? "(" : "[") + number(r.lo()) + ", " + number(r.hi())
                + (r.hiOpen() ? ")" : "]");
    }

    private static String number(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }

    private SpecException invalid(String path, ConfigValue value, String expected) {
        String shown = value.valueType() == ConfigValueType.NUMBER ? config.getString(path) : show(value);
        return new SpecException(where(value) + ": " + path + " = " + shown + ": expected " + expected);
    }

    /** Where a value came from: job file path, {@code --set}, {@code defaults.conf}, ... */
    static String where(ConfigValue value) {
        ConfigOrigin origin = value.origin();
        return origin.filename() != null ? origin.filename() : origin.withLineNumber(-1).description();
    }

    /** A value as one line of JSON, shortened if long. */
    static String show(ConfigValue value) {
        String text = value.render(ConfigRenderOptions.concise());
        return text.length() <= MAX_SHOWN_VALUE ? text : text.substring(0, MAX_SHOWN_VALUE) + "...";
    }

    /** The dotted path of {@code key} inside {@code section} ("" for the top level). */
    static String path(String section, String key) {
        return section.isEmpty() ? ConfigUtil.joinPath(key) : section + "." + ConfigUtil.joinPath(key);
    }
}
