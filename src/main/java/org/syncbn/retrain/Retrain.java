package org.syncbn.retrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigUtil;
import org.apache.spark.api.java.JavaSparkContext;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.eval.EvalResult;
import org.syncbn.eval.Evaluator;
import org.syncbn.model.JobNetworks;
import org.syncbn.model.ModelInput;
import org.syncbn.registry.CurrentPointer;
import org.syncbn.registry.Decision;
import org.syncbn.registry.ModelLock;
import org.syncbn.registry.ModelRegistry;
import org.syncbn.registry.RegisteredModel;
import org.syncbn.store.FileStore;
import org.syncbn.store.Json;
import org.syncbn.store.ModelExport;
import org.syncbn.store.Provenance;
import org.syncbn.network.Network;
import org.syncbn.network.WarmStart;
import org.syncbn.train.TrainingRun;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * One scheduled retrain of a registry model: lock → find the snapshot → settle interrupted
 * attempts → skip a snapshot already trained → check the new data → train a candidate warm-started
 * from CURRENT → store it as v&lt;N&gt; → evaluate candidate and CURRENT on the same holdout →
 * gate → move CURRENT (or not) → decision.json.
 *
 * <p>No version is written before the new data has been checked, and CURRENT changes only in one
 * atomic write after the candidate is completely stored.
 */
public final class Retrain {

    /**
     * @param spec     the job (with its retrain section)
     * @param date     the run date, for a dated snapshot pattern
     * @param force    train even when this snapshot was trained before
     * @param log      progress lines (stderr in the CLI)
     * @param listener hook for tests
     */
    public record Request(JobSpec spec, LocalDate date, boolean force, PrintStream log, RetrainListener listener) {}

    private Retrain() {
    }

    public static RetrainResult run(JavaSparkContext sc, Request request) {
        JobSpec spec = request.spec();
        JobSpec.RetrainSpec rt = spec.retrain();
        PrintStream log = request.log();
        String modelName = rt.model().isEmpty() ? spec.name() : rt.model();
        RegisteredModel model = new ModelRegistry(FileStore.at(rt.registry(), sc::hadoopConfiguration)).model(modelName);
        String snapshotDir = new SnapshotFinder(rt, sc::hadoopConfiguration).find(request.date());
        try (ModelLock lock = ModelLock.acquire(model.dir(), Duration.ofSeconds(rt.lockStaleSec()), "retrain")) {
            if (lock.brokenStale() != null) {
                log.println("retrain: broke the stale lock of " + lock.brokenStale().describe());
            }
            JobSpec trainSpec = onSnapshot(spec, snapshotDir);
            Snapshot snapshot = Snapshot.of(trainSpec.data());
            Integer current = model.current().map(CurrentPointer::version).orElse(null);

            OptionalInt pending = Recovery.settle(model, snapshot, current, rt.maxRegression(), log);
            if (pending.isEmpty() && !request.force()) {
                Integer done = trainedBefore(model, snapshot);
                if (done != null) {
                    String msg = "snapshot " + snapshotDir + " was already trained as v" + done
                            + " (same content); skipped (use --force to train it again)";
                    return new RetrainResult(RetrainResult.Outcome.SKIPPED, null, current, msg);
                }
            }

            JsonNode currentProv = current == null ? null : model.provenance(current).orElse(null);
            SnapshotCheck.Checked data = SnapshotCheck.check(trainSpec.data(), rt.holdoutDir(), currentProv,
                    current == null ? null : "CURRENT v" + current);
            // once the data is known good: a bad snapshot is one line of error, nothing before it
            log.println("retrain: model '" + modelName + "' in " + model.dir() + ", snapshot " + snapshotDir
                    + ", CURRENT " + (current == null ? "none" : "v" + current));
            Network currentNet = current == null ? null : model.loadModel(current);
            int version;
            if (pending.isPresent()) {
                version = pending.getAsInt();
            } else {
                version = model.nextVersion();
                trainCandidate(sc, model, version, trainSpec, snapshot, data, current, currentNet, log);
            }

            Network candidateNet = model.loadModel(version);
            Decision.Score cand = score(Evaluator.evaluate(candidateNet, data.holdout()));
            Decision.Score cur = currentNet == null ? null : score(Evaluator.evaluate(currentNet, data.holdout()));
            PromotionGate.Verdict verdict = new PromotionGate(rt.maxRegression()).judge(cand, current, cur);

            request.listener().candidateStored(version);
            lock.checkHeld();
            if (verdict.promote()) {
                model.promote(version, "retrain");
            }
            Decision.Outcome outcome = verdict.promote() ? Decision.Outcome.PROMOTED : Decision.Outcome.KEPT;
            model.writeDecision(new Decision(version, outcome, verdict.reason(), cand, current, cur,
                    rt.maxRegression(), Instant.now().toString()));
            String msg = "v" + version + (verdict.promote() ? " promoted to CURRENT: " : " stored, CURRENT kept: ")
                    + verdict.reason();
            return new RetrainResult(verdict.promote() ? RetrainResult.Outcome.PROMOTED : RetrainResult.Outcome.KEPT,
                    version, verdict.promote() ? Integer.valueOf(version) : current, msg);
        }
    }

    /** The job with data.dir pointing at the snapshot (re-validated, so the provenance spec is exact). */
    static JobSpec onSnapshot(JobSpec spec, String snapshotDir) {
        return JobSpecLoader.fromResolved(spec.resolvedHocon() + "\ndata.dir = " + ConfigUtil.quoteString(snapshotDir)
                + "\n");
    }

    /** A version trained on content equal to {@code snapshot} whose decision was taken (promoted or kept). */
    private static Integer trainedBefore(RegisteredModel model, Snapshot snapshot) {
        for (int v : model.versions()) {
            boolean decided = model.decision(v).map(d -> d.outcome() != Decision.Outcome.ABANDONED).orElse(false);
            if (decided && model.provenance(v).map(p -> snapshot.fingerprint()
                    .equals(p.path("snapshot").path("fingerprint").asText())).orElse(false)) {
                return v;
            }
        }
        return null;
    }

    private static void trainCandidate(JavaSparkContext sc, RegisteredModel model, int version, JobSpec spec,
                                       Snapshot snapshot, SnapshotCheck.Checked data, Integer parent,
                                       Network parentNet, PrintStream log) {
        if (parentNet != null) {
            // fail on an architecture change before training, not after
            Network probe = JobNetworks.build(spec, ModelInput.of(data.holdout().imageShape(), data.features(), data.classes()), 1,
                    sc::hadoopConfiguration);
            WarmStart.check(probe, parentNet, model.version(parent).describe(RegisteredModel.MODEL));
        }
        log.println("retrain: training v" + version + (parentNet == null ? " from scratch" : " warm-started from v"
                + parent));
        Path work = null;
        try {
            // the training job's own outputs (checkpoint, metrics.jsonl) go to local scratch; only the
            // finished model enters the registry
            work = Files.createTempDirectory("syncbn-retrain-");
            Path out = work.resolve("run");
            TrainingRun run = TrainingRun.of(sc, spec).writingTo(out.toString()).progress(log);
            if (parentNet != null) {
                run.warmStartFrom(parentNet, "the warm-start model");
            }
            TrainingRun.Result outcome = run.run();
            Network trained = ModelExport.read(out.resolve(ModelExport.MODEL_FILE));
            Decision.Score holdout = score(Evaluator.evaluate(trained, data.holdout()));
            JsonNode training = Json.mapper().readTree(Files.readString(out.resolve(Provenance.FILE)));

            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("holdout", Map.of("dir", data.holdoutDir(), "examples", holdout.examples(),
                    "accuracy", holdout.accuracy(), "loss", holdout.loss()));
            metrics.put("training", training.path("final_metrics"));
            metrics.put("rounds", outcome.rounds());

            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("model", model.name());
            prov.put("version", version);
            prov.put("parent", parent);
            prov.put("warm_start", parentNet != null);
            prov.put("created", Instant.now().toString());
            prov.put("snapshot", Map.of("dir", snapshot.dir(), "fingerprint", snapshot.fingerprint(),
                    "sha256", snapshot.files()));
            prov.put("data", Map.of("train_examples", data.trainExamples(), "features", data.features(),
                    "classes", data.classes(), "holdout", data.holdoutDir()));
            prov.put("versions", Provenance.versions(sc.version()));
            prov.put("spec", spec.resolvedHocon());
            prov.put("training", training);
            model.storeVersion(version, out.resolve(ModelExport.MODEL_FILE), metrics, prov);
            log.println("retrain: stored v" + version + " in " + model.version(version));
        } catch (IOException e) {
            throw new UncheckedIOException("retrain scratch directory: " + e.getMessage(), e);
        } finally {
            deleteTree(work);
        }
    }

    private static Decision.Score score(EvalResult r) {
        return new Decision.Score(r.count(), r.accuracy(), r.meanLoss());
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // scratch in java.io.tmpdir
        }
    }
}
