package org.syncbn.eval;

import com.fasterxml.jackson.databind.JsonNode;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.syncbn.store.FileStore;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * curves.png of a run: per evaluated epoch, training and test loss (left) and test accuracy (right),
 * drawn with XChart as the sweep reports are, from the epoch lines of metrics.jsonl. Redrawn after
 * every evaluation and by {@code syncbn report}, so it shows an interrupted run up to its last epoch.
 */
public final class LearningCurves {
    public static final String FILE = "curves.png";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LearningCurves.class);
    private static final int WIDTH = 560;
    private static final int HEIGHT = 420;

    private LearningCurves() {
    }

    /**
     * One evaluated epoch.
     *
     * @param trainLoss the epoch's mean training loss, or NaN when the line has none
     */
    public record Point(int epoch, double trainLoss, double testLoss, double testAccuracy) {}

    /** The epoch lines of metrics.jsonl, in order (PreciseBN lines and others are left out). */
    public static List<Point> points(List<JsonNode> metrics) {
        List<Point> out = new ArrayList<>();
        for (JsonNode m : metrics) {
            if (m.has("epoch") && m.has("test_accuracy")) {
                out.add(new Point(m.get("epoch").asInt(),
                        m.path("train_loss").isNumber() ? m.get("train_loss").asDouble() : Double.NaN,
                        m.path("test_loss").asDouble(Double.NaN), m.path("test_accuracy").asDouble(Double.NaN)));
            }
        }
        return out;
    }

    /**
     * Draws {@code dir/curves.png} from {@code metrics}, atomically, when there is an epoch to draw. A
     * JVM that cannot draw (no fonts in a bare container) logs why and goes on: the figures stay in
     * metrics.jsonl, and a run never fails for its picture.
     *
     * @return whether the image was written
     */
    public static boolean redraw(FileStore dir, String title, List<JsonNode> metrics) {
        List<Point> points = points(metrics);
        if (points.isEmpty()) {
            return false;
        }
        try {
            dir.write(FILE, tmp -> writePng(points, title, tmp));
            return true;
        } catch (RuntimeException | LinkageError | InternalError e) {   // AWT without fonts fails with errors
            LOG.warn("{} not drawn: {}", dir.describe(FILE), e.toString());
            return false;
        }
    }

    /** Both panels side by side into one PNG. */
    public static void writePng(List<Point> points, String title, Path file) throws IOException {
        List<Double> epochs = new ArrayList<>();
        List<Double> testLoss = new ArrayList<>();
        List<Double> accuracy = new ArrayList<>();
        List<Double> trainEpochs = new ArrayList<>();
        List<Double> trainLoss = new ArrayList<>();
        for (Point p : points) {
            epochs.add((double) p.epoch());
            testLoss.add(p.testLoss());
            accuracy.add(p.testAccuracy());
            if (Double.isFinite(p.trainLoss())) {
                trainEpochs.add((double) p.epoch());
                trainLoss.add(p.trainLoss());
            }
        }
        XYChart loss = chart(title + ": loss", "mean cross-entropy");
        if (!trainLoss.isEmpty()) {
            loss.addSeries("train loss", trainEpochs, trainLoss).setMarker(SeriesMarkers.CIRCLE);
        }
        loss.addSeries("test loss", epochs, testLoss).setMarker(SeriesMarkers.DIAMOND);
        XYChart acc = chart(title + ": test accuracy", "accuracy");
        acc.addSeries("test accuracy", epochs, accuracy).setMarker(SeriesMarkers.CIRCLE);
        // accuracy rises as loss falls: each legend in the corner its curve leaves free
        acc.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);

        BufferedImage image = new BufferedImage(2 * WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            g.drawImage(BitmapEncoder.getBufferedImage(loss), 0, 0, null);
            g.drawImage(BitmapEncoder.getBufferedImage(acc), WIDTH, 0, null);
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("epoch")
                .yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisDecimalPattern("0.0###");   // one point alone would show 16 digits
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        return chart;
    }
}
