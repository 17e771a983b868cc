package org.syncbn.retrain;

import org.junit.jupiter.api.Test;
import org.syncbn.registry.Decision.Score;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PromotionGateTest {
    private static Score acc(double a) {
        return new Score(1000, a, 0.5);
    }

    @Test
    void aCandidateIsPromotedUnlessItLosesMoreThanTheAllowance() {
        PromotionGate gate = new PromotionGate(0.01);
        assertTrue(gate.judge(acc(0.80), 1, acc(0.80)).promote());
        assertTrue(gate.judge(acc(0.795), 1, acc(0.80)).promote());
        assertTrue(gate.judge(acc(0.90), 1, acc(0.80)).promote());
        PromotionGate.Verdict worse = gate.judge(acc(0.78), 1, acc(0.80));
        assertFalse(worse.promote());
        assertTrue(worse.reason().contains("0.7800") && worse.reason().contains("v1") && worse.reason().contains("0.8000"),
                worse.reason());
    }

    @Test
    void withoutCurrentAnyCandidateIsPromotedButADivergedOneNever() {
        assertTrue(new PromotionGate(0).judge(acc(0.1), null, null).promote());
        assertFalse(new PromotionGate(1).judge(acc(Double.NaN), 1, acc(0.5)).promote());
    }
}
