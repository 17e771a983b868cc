package org.syncbn.eval;

import org.syncbn.data.ClassNames;

import java.util.Locale;

/** The text the evaluate command prints: totals, per-class metrics and the confusion matrix. */
public final class EvalReport {
    private EvalReport() {
    }

    /** With the class indices only. */
    public static String text(EvalResult r) {
        return text(r, ClassNames.indices(r.confusion().length));
    }

    /** The per-class table names each class beside its index, unless the names are the indices. */
    public static String text(EvalResult r, ClassNames names) {
        boolean named = !names.areIndices();
        int width = 4;
        for (String n : names.names()) {
            width = Math.max(width, n.length());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "examples %d%naccuracy %.4f%nloss %.4f%n", r.count(), r.accuracy(),
                r.meanLoss()));
        sb.append(String.format(Locale.ROOT, "%6s", "class"));
        if (named) {
            sb.append(String.format(Locale.ROOT, " %-" + width + "s", "name"));
        }
        sb.append(String.format(Locale.ROOT, " %9s %9s %9s %9s%n", "precision", "recall", "f1", "support"));
        double f1Sum = 0;
        for (ClassMetrics m : ClassMetrics.of(r.confusion())) {
            sb.append(String.format(Locale.ROOT, "%6d", m.label()));
            if (named) {
                sb.append(String.format(Locale.ROOT, " %-" + width + "s", names.name(m.label())));
            }
            sb.append(String.format(Locale.ROOT, " %9.4f %9.4f %9.4f %9d%n", m.precision(), m.recall(), m.f1(),
                    m.support()));
            f1Sum += m.f1();
        }
        sb.append(String.format(Locale.ROOT, "macro f1 %.4f%n", f1Sum / r.confusion().length));
        sb.append("confusion matrix (rows: actual, columns: predicted):\n");
        for (long[] row : r.confusion()) {
            for (long v : row) {
                sb.append(String.format(Locale.ROOT, "%6d", v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
