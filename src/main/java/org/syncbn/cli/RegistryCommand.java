package org.syncbn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.config.SpecException;
import org.syncbn.registry.CurrentPointer;
import org.syncbn.registry.Decision;
import org.syncbn.registry.LockHeldException;
import org.syncbn.registry.ModelLock;
import org.syncbn.registry.ModelRegistry;
import org.syncbn.registry.RegisteredModel;
import org.syncbn.store.FileStore;
import org.syncbn.store.Json;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code syncbn registry list|show|promote|rollback}: look at and steer a model registry. */
final class RegistryCommand {
    static final String HELP = """
            usage: syncbn registry list [<model>] [--registry DIR]
                   syncbn registry show <model> [v<N>] [--registry DIR]
                   syncbn registry promote <model> v<N> [--registry DIR]
                   syncbn registry rollback <model> [--registry DIR]

              list       the models, or one model's versions: CURRENT mark, decision, holdout accuracy, snapshot
              show       a version's metrics.json, decision.json and provenance.json (default: CURRENT)
              promote    make a complete version CURRENT (the old one can be rolled back to)
              rollback   make the version that was CURRENT before the present one CURRENT again
              --registry DIR   registry root, a local path or Hadoop FileSystem URI
                               (default: retrain.registry of conf/defaults.conf)

            promote and rollback take the model's lock, so they never race a running retrain.
            Exit codes: 0 done, 2 bad input (unknown model or version, nothing to roll back to), 1 failure.
            """;

    private RegistryCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args = Args.parse("registry", argv, 0, Set.of("--registry"), Set.of("--help", "-h"));
        if (args.flags().contains("--help") || args.flags().contains("-h")) {
            out.print(HELP);
            return 0;
        }
        List<String> pos = args.positionals();
        if (pos.isEmpty()) {
            throw new SpecException("registry: expected list, show, promote or rollback (see syncbn registry --help)");
        }
        String location = args.option("--registry") != null ? args.option("--registry")
                : JobSpecLoader.load(null, List.of()).retrain().registry();
        ModelRegistry registry = new ModelRegistry(
                FileStore.at(location, org.apache.spark.deploy.SparkHadoopUtil.get()::conf));
        String sub = pos.get(0);
        try {
            switch (sub) {
                case "list" -> {
                    arity(pos, 1, 2, "list [<model>]");
                    if (pos.size() == 1) {
                        listModels(registry, out);
                    } else {
                        listVersions(existing(registry, pos.get(1)), out);
                    }
                }
                case "show" -> {
                    arity(pos, 2, 3, "show <model> [v<N>]");
                    RegisteredModel model = existing(registry, pos.get(1));
                    int v = pos.size() == 3 ? version(model, pos.get(2)) : model.current().map(CurrentPointer::version)
                            .orElseThrow(() -> new SpecException("model '" + model.name() + "' has no CURRENT version;"
                                    + " name one: registry show " + model.name() + " v<N>"));
                    show(model, v, out);
                }
                case "promote" -> {
                    arity(pos, 3, 3, "promote <model> v<N>");
                    RegisteredModel model = existing(registry, pos.get(1));
                    int v = version(model, pos.get(2));
                    try (ModelLock lock = lock(model)) {
                        CurrentPointer c = model.promote(v, "promote");
                        out.println(model.name() + ": CURRENT is v" + c.version() + " (was "
                                + (c.history().isEmpty() ? "none" : "v" + c.history().get(c.history().size() - 1)) + ")");
                    }
                }
                case "rollback" -> {
                    arity(pos, 2, 2, "rollback <model>");
                    RegisteredModel model = existing(registry, pos.get(1));
                    try (ModelLock lock = lock(model)) {
                        CurrentPointer c = model.rollback();
                        out.println(model.name() + ": CURRENT is v" + c.version() + " again (" + c.by() + ")");
                    }
                }
                default -> throw new SpecException("registry: unknown subcommand '" + sub
                        + "' (expected list, show, promote or rollback)");
            }
        } catch (LockHeldException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    private static ModelLock lock(RegisteredModel model) {
        return ModelLock.acquire(model.dir(), Duration.ofSeconds(JobSpecLoader.load(null, List.of()).retrain()
                .lockStaleSec()), "registry command");
    }

    private static void arity(List<String> pos, int min, int max, String usage) {
        if (pos.size() < min || pos.size() > max) {
            throw new SpecException("registry: expected " + usage + ", got " + String.join(" ", pos));
        }
    }

    private static RegisteredModel existing(ModelRegistry registry, String name) {
        RegisteredModel model = registry.model(name);
        if (!registry.models().contains(name)) {
            throw new SpecException("registry " + registry.root() + " has no model '" + name + "' (models: "
                    + registry.models() + ")");
        }
        return model;
    }

    private static int version(RegisteredModel model, String text) {
        String digits = text.startsWith("v") ? text.substring(1) : text;
        int v;
        try {
            v = Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new SpecException("registry: version '" + text + "': expected v<N>, e.g. v3");
        }
        if (!model.versions().contains(v)) {
            throw new SpecException("model '" + model.name() + "' has no version v" + v + " (versions: "
                    + model.versions() + ")");
        }
        return v;
    }

    private static void listModels(ModelRegistry registry, PrintStream out) {
        for (String name : registry.models()) {
            RegisteredModel m = registry.model(name);
            out.println(name + "  CURRENT " + m.current().map(c -> "v" + c.version()).orElse("none")
                    + "  versions " + m.versions().size());
        }
    }

    private static void listVersions(RegisteredModel model, PrintStream out) {
        Integer current = model.current().map(CurrentPointer::version).orElse(null);
        for (int v : model.versions()) {
            String mark = current != null && current == v ? "*" : " ";
            String decision = model.decision(v).map(d -> d.outcome().name().toLowerCase(Locale.ROOT))
                    .orElse(model.isComplete(v) ? "undecided" : "incomplete");
            String accuracy = model.decision(v).map(Decision::candidate)
                    .map(s -> String.format(Locale.ROOT, "%.4f", s.accuracy())).orElse("-");
            String snapshot = model.provenance(v).map(p -> p.path("snapshot").path("dir").asText("-")).orElse("-");
            out.printf(Locale.ROOT, "%s v%-4d %-10s accuracy %-7s snapshot %s%n", mark, v, decision, accuracy, snapshot);
        }
    }

    private static void show(RegisteredModel model, int v, PrintStream out) {
        Integer current = model.current().map(CurrentPointer::version).orElse(null);
        out.println(model.name() + " v" + v + (current != null && current == v ? " (CURRENT)" : "") + " in "
                + model.version(v));
        for (String file : List.of(RegisteredModel.METRICS, RegisteredModel.DECISION, RegisteredModel.PROVENANCE)) {
            out.println("--- " + file);
            if (!model.version(v).exists(file)) {
                out.println("(missing)");
                continue;
            }
            out.print(file.equals(RegisteredModel.PROVENANCE) ? withoutTrainingDetail(model, v)
                    : model.version(v).readString(file));
        }
    }

    /** provenance.json less the nested training record, which repeats the spec; the file has it all. */
    private static String withoutTrainingDetail(RegisteredModel model, int v) {
        JsonNode p = model.provenance(v).orElseThrow();
        if (p.isObject()) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) p).remove("training");
        }
        return Json.pretty(p);
    }
}
