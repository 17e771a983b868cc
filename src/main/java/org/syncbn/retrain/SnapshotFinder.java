package org.syncbn.retrain;

import org.apache.hadoop.conf.Configuration;
import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;
import org.syncbn.store.FileStore;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the snapshot directory a retrain trains on: the sub-directory of retrain.snapshotRoot
 * named by retrain.snapshotPattern for the run date, or the newest (greatest name) one.
 */
public final class SnapshotFinder {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]+)}");

    private final JobSpec.RetrainSpec spec;
    private final Supplier<Configuration> hadoopConf;

    public SnapshotFinder(JobSpec.RetrainSpec spec, Supplier<Configuration> hadoopConf) {
        this.spec = spec;
        this.hadoopConf = hadoopConf;
    }

    /** The snapshot directory's location (path or URI); a missing or empty one is bad input. */
    public String find(LocalDate date) {
        if (spec.snapshotRoot().isBlank()) {
            throw new SpecException("retrain.snapshotRoot is empty: expected the directory whose sub-directories"
                    + " are data snapshots");
        }
        FileStore root = FileStore.at(spec.snapshotRoot(), hadoopConf);
        String name;
        if (spec.snapshotPattern().isEmpty()) {
            List<String> candidates = root.list().stream()
                    .filter(n -> !n.startsWith(".") && !n.startsWith("_")).toList();
            if (candidates.isEmpty()) {
                throw new SpecException("retrain.snapshotRoot " + root + " holds no snapshot directory");
            }
            name = candidates.get(candidates.size() - 1);
        } else {
            name = resolve(spec.snapshotPattern(), date);
            if (!root.list().contains(name)) {
                throw new SpecException("snapshot " + root.describe(name) + " not found (retrain.snapshotPattern = \""
                        + spec.snapshotPattern() + "\" for " + date + ")");
            }
        }
        FileStore snapshot = root.resolve(name);
        if (snapshot.list().stream().noneMatch(n -> !n.startsWith("."))) {
            throw new SpecException("snapshot " + snapshot + " is empty or not a directory: expected the job's"
                    + " four data files in it");
        }
        return snapshot.location();
    }

    /** {@code pattern} with each {@code {p}} replaced by {@code date} formatted with DateTimeFormatter p. */
    static String resolve(String pattern, LocalDate date) {
        Matcher m = PLACEHOLDER.matcher(pattern);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String formatted;
            try {
                formatted = DateTimeFormatter.ofPattern(m.group(1)).format(date);
            } catch (IllegalArgumentException | java.time.DateTimeException e) {
                throw new SpecException("retrain.snapshotPattern = \"" + pattern + "\": {" + m.group(1)
                        + "} is not a date pattern (" + e.getMessage() + "); expected e.g. {yyyy-MM-dd}");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(formatted));
        }
        m.appendTail(out);
        String name = out.toString();
        if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
            throw new SpecException("retrain.snapshotPattern = \"" + pattern + "\" gives \"" + name
                    + "\": expected one sub-directory name");
        }
        return name;
    }
}
