package org.syncbn.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * One class's precision, recall and F1 from a confusion matrix (rows: actual, columns: predicted).
 * A class never predicted has precision 0; one never present has recall 0 (and F1 0), as
 * scikit-learn reports them.
 *
 * @param support examples whose actual class this is
 */
public record ClassMetrics(int label, double precision, double recall, double f1, long support) {

    public static List<ClassMetrics> of(long[][] confusion) {
        List<ClassMetrics> out = new ArrayList<>(confusion.length);
        for (int c = 0; c < confusion.length; c++) {
            long predicted = 0;
            long actual = 0;
            for (int j = 0; j < confusion.length; j++) {
                predicted += confusion[j][c];
                actual += confusion[c][j];
            }
            long tp = confusion[c][c];
            double p = predicted == 0 ? 0 : (double) tp / predicted;
            double r = actual == 0 ? 0 : (double) tp / actual;
            double f1 = p + r == 0 ? 0 : 2 * p * r / (p + r);
            out.add(new ClassMetrics(c, p, r, f1, actual));
        }
        return out;
    }
}
