package org.syncbn.eval;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-class metrics and the evaluate report text. */
class ClassMetricsTest {
    private static final long[][] CONFUSION = {{45, 3, 2}, {4, 40, 6}, {0, 0, 0}};

    @Test
    void precisionRecallAndF1FollowFromTheConfusionMatrix() {
        List<ClassMetrics> m = ClassMetrics.of(CONFUSION);
        assertEquals(45.0 / 49, m.get(0).precision(), 1e-15);
        assertEquals(45.0 / 50, m.get(0).recall(), 1e-15);
        double p = 45.0 / 49;
        double r = 0.9;
        assertEquals(2 * p * r / (p + r), m.get(0).f1(), 1e-15);
        assertEquals(50, m.get(1).support());
    }

    @Test
    void aClassThatNeverOccursHasZeroRecallAndF1AndPredictionsOfItZeroPrecision() {
        ClassMetrics absent = ClassMetrics.of(CONFUSION).get(2);
        assertEquals(0, absent.recall());
        assertEquals(0, absent.precision());
        assertEquals(0, absent.f1());
        assertEquals(0, absent.support());
    }

    @Test
    void reportListsEveryClassAndTheMatrixRows() {
        String text = EvalReport.text(new EvalResult(100, 25, CONFUSION));
        assertTrue(text.startsWith("examples 100\naccuracy 0.8500\nloss 0.2500\n"), text);
        assertTrue(text.contains("     1    0.9302    0.8000    0.8602        50\n"), text);
        assertTrue(text.endsWith("    45     3     2\n     4    40     6\n     0     0     0\n"), text);
    }
}
