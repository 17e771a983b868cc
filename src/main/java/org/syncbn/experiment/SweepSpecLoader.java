package org.syncbn.experiment;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a sweep file: a job spec with one extra section,
 *
 * <pre>
 * sweep {
 *   axes = [
 *     { key = train.batchPerWorker, values = [8, 32, 128] }
 *     { key = optim.lrScaling, values = [none, linear, sqrt] }
 *   ]
 *   presets {                      # optional; "default" applies unless --set preset=NAME
 *     default { train.epochs = 2, data.maxTrainExamples = 12000 }
 *     full { train.epochs = 30 }
 *   }
 *   preciseExamples = 10000        # optional (this default); 0 = running statistics only
 * }
 * </pre>
 *
 * Every cell is evaluated with its running (EMA) statistics and, unless the job sets
 * {@code bn.precise.examples} itself, with PreciseBN over {@code preciseExamples} training examples
 * ({@code --set sweep.preciseExamples=N} overrides the file). Every cell's spec is validated before
 * the first one runs, so a typo fails at once.
 */
public final class SweepSpecLoader {
    public static final String SECTION = "sweep";
    /** PreciseBN examples per cell when neither the sweep nor the job says. */
    public static final int DEFAULT_PRECISE_EXAMPLES = 10_000;
    private static final String PRECISE_SET = SECTION + ".preciseExamples=";
    private static final ConfigRenderOptions VALUE = ConfigRenderOptions.concise().setJson(false);

    private SweepSpecLoader() {
    }

    /** {@code sets} may hold {@code preset=NAME}; the others override job keys in every cell. */
    public static SweepSpec load(Path file, List<String> sets) {
        Config raw = JobSpecLoader.parseFile(file);
        if (!raw.hasPath(SECTION) || raw.getValue(SECTION).valueType() != ConfigValueType.OBJECT) {
            throw new SpecException(file + ": no 'sweep { axes = [...] }' section: expected a sweep file (see jobs/*-sweep.conf)");
        }
        Config sweep = raw.getConfig(SECTION);
        String preset = null;
        String precise = null;
        List<String> userSets = new ArrayList<>();
        for (String s : sets) {
            if (s.startsWith("preset=")) {
                preset = s.substring("preset=".length()).strip().replaceAll("^\"|\"$", "");
            } else if (s.startsWith(PRECISE_SET)) {
                precise = s.substring(PRECISE_SET.length()).strip();
            } else {
                userSets.add(s);
            }
        }
        int preciseExamples = preciseExamples(file, sweep, precise);
        List<String> common = new ArrayList<>();
        String presetName = "";
        if (sweep.hasPath("presets")) {
            ConfigObject presets = sweep.getObject("presets");
            presetName = preset != null ? preset : presets.containsKey("default") ? "default" : "";
            if (!presetName.isEmpty()) {
                if (!presets.containsKey(presetName)) {
                    throw new SpecException(file + ": preset = " + presetName + ": no such preset (known: "
                            + String.join(", ", new java.util.TreeSet<>(presets.keySet())) + ")");
                }
                Config p = presets.toConfig().getConfig(quoted(presetName));
                for (Map.Entry<String, ConfigValue> e : p.entrySet()) {
                    common.add(e.getKey() + "=" + e.getValue().render(VALUE));
                }
                common.sort(null);
            }
        } else if (preset != null) {
            throw new SpecException(file + ": preset = " + preset + ": this sweep defines no presets");
        }
        common.addAll(userSets);
        List<SweepSpec.Axis> axes = axes(file, sweep);
        JobSpec base = JobSpecLoader.loadWithout(file, SECTION, common);
        SweepSpec spec = new SweepSpec(base.name(), file, common, axes, presetName, preciseExamples);
        for (SweepSpec.Cell cell : spec.cells()) {
            try {
                cellSpec(spec, cell);
            } catch (SpecException e) {
                throw new SpecException(file + ": cell " + cell.key() + ": " + e.getMessage(), e);
            }
        }
        return spec;
    }

    /** The job of one cell: PreciseBN over the sweep's examples unless the job sets its own. */
    public static JobSpec cellSpec(SweepSpec spec, SweepSpec.Cell cell) {
        List<String> sets = new ArrayList<>(spec.commonSets());
        sets.addAll(cell.sets());
        JobSpec job = JobSpecLoader.loadWithout(spec.jobFile(), SECTION, sets);
        if (job.bn().preciseExamples() > 0 || spec.preciseExamples() == 0) {
            return job;
        }
        sets.add("bn.precise.examples=" + spec.preciseExamples());
        return JobSpecLoader.loadWithout(spec.jobFile(), SECTION, sets);
    }

    private static int preciseExamples(Path file, Config sweep, String fromCommandLine) {
        String where = fromCommandLine != null ? "--set " + PRECISE_SET + fromCommandLine
                : file + ": sweep.preciseExamples";
        String text;
        if (fromCommandLine != null) {
            text = fromCommandLine;
        } else if (sweep.hasPath("preciseExamples")) {
            text = sweep.getValue("preciseExamples").render(VALUE);
        } else {
            return DEFAULT_PRECISE_EXAMPLES;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new SpecException(where + (fromCommandLine != null ? "" : " = " + text)
                + ": expected an integer >= 0 (training examples for PreciseBN in every cell; 0 = off)");
    }

    private static List<SweepSpec.Axis> axes(Path file, Config sweep) {
        String expected = "a non-empty list of { key = <job key>, values = [...] }";
        if (!sweep.hasPath("axes") || sweep.getValue("axes").valueType() != ConfigValueType.LIST) {
            throw new SpecException(file + ": sweep.axes: expected " + expected);
        }
        ConfigList list = sweep.getList("axes");
        if (list.isEmpty()) {
            throw new SpecException(file + ": sweep.axes is empty: expected " + expected);
        }
        List<SweepSpec.Axis> axes = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            ConfigValue v = list.get(i);
            if (v.valueType() != ConfigValueType.OBJECT) {
                throw new SpecException(file + ": sweep.axes[" + i + "] = " + v.render(VALUE) + ": expected " + expected);
            }
            Config axis = ((ConfigObject) v).toConfig();
            if (!axis.hasPath("key") || !axis.hasPath("values") || axis.getValue("values").valueType() != ConfigValueType.LIST
                    || axis.getList("values").isEmpty()) {
                throw new SpecException(file + ": sweep.axes[" + i + "]: expected { key = <job key>, values = [at least one] }");
            }
            List<String> values = new ArrayList<>();
            for (ConfigValue value : axis.getList("values")) {
                values.add(value.render(VALUE));
            }
            String key = axis.getString("key");
            if (axes.stream().anyMatch(a -> a.key().equals(key))) {
                throw new SpecException(file + ": sweep.axes: key " + key + " appears twice");
            }
            axes.add(new SweepSpec.Axis(key, values));
        }
        return axes;
    }

    private static String quoted(String name) {
        return "\"" + name.replace("\"", "\\\"") + "\"";
    }
}
