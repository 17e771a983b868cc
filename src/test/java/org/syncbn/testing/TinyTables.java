package org.syncbn.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Small synthetic classification tables for the data-source, Spark ML and CLI tests: columns id,
 * x1..x4 and label (3 classes, the argmax of three fixed linear scores, so they are learnable).
 */
public final class TinyTables {
    public static final String[] FEATURES = {"x1", "x2", "x3", "x4"};
    private static final double[][] W = {{2, -1, 0.5, 0}, {-1, 2, 0, 0.5}, {0, 0, -2, 2}};

    private TinyTables() {
    }

    /** One row: features and label. */
    public static double[] features(SplittableRandom r) {
        double[] x = new double[4];
        for (int j = 0; j < 4; j++) {
            x[j] = r.nextDouble(-1, 1);
        }
        return x;
    }

    public static int label(double[] x) {
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < W.length; c++) {
            double s = 0;
            for (int j = 0; j < x.length; j++) {
                s += W[c][j] * x[j];
            }
            if (s > bestScore) {
                bestScore = s;
                best = c;
            }
        }
        return best;
    }

    /** A CSV with a header line: id,x1,x2,x3,x4,label. */
    public static Path writeCsv(Path file, int rows, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder("id,x1,x2,x3,x4,label\n");
        for (int i = 0; i < rows; i++) {
            double[] x = features(r);
            sb.append(i);
            for (double v : x) {
                sb.append(String.format(Locale.ROOT, ",%.5f", v));
            }
            sb.append(',').append(label(x)).append('\n');
        }
        Files.writeString(file, sb.toString());
        return file;
    }
}
