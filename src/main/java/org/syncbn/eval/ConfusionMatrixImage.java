package org.syncbn.eval;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Draws a confusion matrix as a PNG heat map: one cell per (actual, predicted) pair, shaded by the
 * share of the actual class's examples it holds (so rare classes are as readable as common ones),
 * labelled with the count. Plain AWT (headless), no charting dependency.
 */
public final class ConfusionMatrixImage {
    private static final int CELL = 48;
    private static final int MARGIN = 70;

    private ConfusionMatrixImage() {
    }

    public static void writePng(long[][] confusion, String title, Path file) throws IOException {
        int k = confusion.length;
        int size = MARGIN + k * CELL + 20;
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 13);
        int width = Math.max(size, titleWidth(title, titleFont) + 16);
        BufferedImage img = new BufferedImage(width, size + 10, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            g.setColor(Color.BLACK);
            g.setFont(titleFont);
            g.drawString(title, 8, 18);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g.drawString("predicted →", MARGIN, 38);
            g.drawString("actual ↓", 8, 38);
            for (int i = 0; i < k; i++) {
                long rowTotal = 0;
                for (long v : confusion[i]) {
                    rowTotal += v;
                }
                centered(g, Integer.toString(i), MARGIN + i * CELL, MARGIN - 22, CELL, 16, Color.BLACK);
                centered(g, Integer.toString(i), MARGIN - 30, MARGIN + i * CELL, 24, CELL, Color.BLACK);
                for (int j = 0; j < k; j++) {
                    double share = rowTotal == 0 ? 0 : (double) confusion[i][j] / rowTotal;
                    int shade = (int) Math.round(255 * (1 - share));
                    g.setColor(new Color(shade, shade, 255));
                    int x = MARGIN + j * CELL;
                    int y = MARGIN + i * CELL;
                    g.fillRect(x, y, CELL, CELL);
                    g.setColor(Color.LIGHT_GRAY);
                    g.setStroke(new BasicStroke(1));
                    g.drawRect(x, y, CELL, CELL);
                    centered(g, Long.toString(confusion[i][j]), x, y, CELL, CELL, share > 0.5 ? Color.WHITE : Color.BLACK);
                }
            }
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }

    private static int titleWidth(String title, Font font) {
        Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        try {
            return g.getFontMetrics(font).stringWidth(title);
        } finally {
            g.dispose();
        }
    }

    private static void centered(Graphics2D g, String text, int x, int y, int w, int h, Color color) {
        FontMetrics fm = g.getFontMetrics();
        g.setColor(color);
        g.drawString(text, x + (w - fm.stringWidth(text)) / 2, y + (h + fm.getAscent() - fm.getDescent()) / 2);
    }
}
