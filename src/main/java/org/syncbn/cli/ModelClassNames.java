package org.syncbn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.data.ClassNames;
import org.syncbn.store.FileStore;
import org.syncbn.store.Json;
import org.syncbn.store.Provenance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The class names evaluate and predict show for a model of k classes, from the first that says:
 * <ol>
 *   <li>{@code --set data.classNames=[...]} on the command line;</li>
 *   <li>the training spec in provenance.json beside the model (a run directory, or a zip inside one);</li>
 *   <li>the data the command reads, when the spec describes it (evaluate on the IDX test files: the
 *       {@code data.classNames} default rule); a table says nothing about its classes: their indices.</li>
 * </ol>
 */
final class ModelClassNames {
    private ModelClassNames() {
    }

    /**
     * @param given       the command's spec (its --set keys over the defaults)
     * @param describes   whether {@code given}'s data section describes the data scored
     */
    static ClassNames of(String model, int classes, JobSpec given, boolean describes, Supplier<Configuration> conf) {
        String what = "the model " + model + " has " + classes + " classes";
        if (!given.data().classNames().isEmpty()) {
            return ClassNames.of(given.data(), classes, what);
        }
        Optional<JobSpec> trained = trainingSpec(model, conf);
        if (trained.isPresent() && trained.get().data().numClasses() == classes) {
            return ClassNames.of(trained.get().data(), classes, what);
        }
        return describes ? ClassNames.of(given.data(), classes, what) : ClassNames.indices(classes);
    }

    /** The spec recorded in provenance.json in the model's directory, or beside its file. */
    private static Optional<JobSpec> trainingSpec(String model, Supplier<Configuration> conf) {
        Path path = new Path(model);
        try {
            for (Path dir : new Path[] {path, path.getParent()}) {
                if (dir == null) {
                    continue;
                }
                FileStore store = FileStore.at(dir.toString().isEmpty() ? "." : dir.toString(), conf);
                if (store.exists(Provenance.FILE)) {
                    JsonNode prov = Json.mapper().readTree(store.readString(Provenance.FILE));
                    return Provenance.specText(prov).map(JobSpecLoader::fromResolved);
                }
            }
        } catch (IOException | UncheckedIOException | SpecException e) {
            // names are for people: a provenance.json this code cannot read leaves the class indices
        }
        return Optional.empty();
    }
}
