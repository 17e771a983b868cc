package org.syncbn.retrain;

import com.fasterxml.jackson.databind.JsonNode;
import org.syncbn.registry.Decision;
import org.syncbn.registry.RegisteredModel;

import java.io.PrintStream;
import java.time.Instant;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Settles the versions an interrupted retrain left without a decision.json (run under the
 * model's lock, before anything else):
 * <ul>
 *   <li>complete and already CURRENT (crash after the pointer moved): recorded as promoted;</li>
 *   <li>complete, trained on this very snapshot from the present CURRENT (crash between storing
 *       the candidate and the gate): handed back, so this run judges it instead of training again;</li>
 *   <li>anything else (incomplete, or from another snapshot or parent): recorded as abandoned.</li>
 * </ul>
 */
final class Recovery {
    private Recovery() {
    }

    /** The interrupted candidate to judge now, if there is one. */
    static OptionalInt settle(RegisteredModel model, Snapshot snapshot, Integer current, double maxRegression,
                              PrintStream log) {
        OptionalInt pending = OptionalInt.empty();
        for (int v : model.versions()) {
            if (model.decision(v).isPresent()) {
                continue;
            }
            String now = Instant.now().toString();
            if (!model.isComplete(v)) {
                log.println("retrain: v" + v + " is incomplete (interrupted while it was stored): marked abandoned");
                model.writeDecision(new Decision(v, Decision.Outcome.ABANDONED,
                        "interrupted before the candidate was completely stored", null, current, null,
                        maxRegression, now));
                continue;
            }
            JsonNode prov = model.provenance(v).orElseThrow();
            Decision.Score score = score(model, v);
            if (current != null && current == v) {
                log.println("retrain: v" + v + " is CURRENT but its decision was never recorded: recorded as promoted");
                model.writeDecision(new Decision(v, Decision.Outcome.PROMOTED,
                        "recovered: CURRENT had been moved to it before the retrain was interrupted", score,
                        prov.path("parent").isNumber() ? prov.get("parent").asInt() : null, null,
                        maxRegression, now));
                continue;
            }
            Integer parent = prov.path("parent").isNumber() ? prov.get("parent").asInt() : null;
            boolean sameSnapshot = snapshot.fingerprint().equals(prov.path("snapshot").path("fingerprint").asText());
            if (sameSnapshot && Objects.equals(parent, current) && pending.isEmpty()) {
                log.println("retrain: v" + v + " was stored for this snapshot but never judged: judging it now");
                pending = OptionalInt.of(v);
                continue;
            }
            log.println("retrain: v" + v + " was stored but never judged, and CURRENT or the snapshot has changed"
                    + " since: marked abandoned");
            model.writeDecision(new Decision(v, Decision.Outcome.ABANDONED,
                    "interrupted before its decision; CURRENT or the snapshot has changed since", score, current,
                    null, maxRegression, now));
        }
        return pending;
    }

    private static Decision.Score score(RegisteredModel model, int v) {
        JsonNode h = model.metrics(v).map(m -> m.path("holdout")).orElse(null);
        if (h == null || !h.has("accuracy")) {
            return null;
        }
        return new Decision.Score(h.path("examples").asLong(), h.path("accuracy").asDouble(), h.path("loss").asDouble());
    }
}
