package org.syncbn.eval;

import org.syncbn.data.ClassNames;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.stream.Collectors;

/**
 * Draws a confusion matrix as a PNG heat map: one cell per (actual, predicted) pair, shaded by the
 * share of the actual class's examples it holds (so rare classes are as readable as common ones),
 * labelled with the count; rows and columns are labelled with the class index and name. The PNG
 * carries the title and the class names as text chunks ({@value #TITLE_KEY}, {@value #CLASSES_KEY}: a
 * JSON list in class order), for tools that read the image's metadata. Plain AWT (headless), no
 * charting dependency.
 */
public final class ConfusionMatrixImage {
    public static final String TITLE_KEY = "Title";
    public static final String CLASSES_KEY = "Classes";
    private static final int CELL = 48;
    private static final int PAD = 12;

    private ConfusionMatrixImage() {
    }

    /** With the class indices as labels. */
    public static void writePng(long[][] confusion, String title, Path file) throws IOException {
        writePng(confusion, ClassNames.indices(confusion.length), title, file);
    }

    public static void writePng(long[][] confusion, ClassNames names, String title, Path file) throws IOException {
        int k = confusion.length;
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 13);
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
        String[] labels = new String[k];
        int labelWidth = 0;
        for (int i = 0; i < k; i++) {
            labels[i] = names.areIndices() ? Integer.toString(i) : i + " " + names.name(i);
            labelWidth = Math.max(labelWidth, textWidth(labels[i], labelFont));
        }
        int left = PAD + labelWidth + PAD;           // row labels, right-aligned
        int top = 44 + labelWidth + PAD;             // column labels, written upwards
        int width = Math.max(left + k * CELL + PAD, textWidth(title, titleFont) + 2 * PAD);
        int height = top + k * CELL + PAD;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(titleFont);
            g.drawString(title, PAD, 18);
            g.setFont(labelFont);
            g.drawString("predicted →", left, 36);
            g.drawString("actual ↓", PAD, 36);
            FontMetrics fm = g.getFontMetrics();
            for (int i = 0; i < k; i++) {
                g.setColor(Color.BLACK);
                g.drawString(labels[i], left - PAD - fm.stringWidth(labels[i]),
                        top + i * CELL + (CELL + fm.getAscent() - fm.getDescent()) / 2);
                AffineTransform saved = g.getTransform();
                g.translate(left + i * CELL + (CELL + fm.getAscent() - fm.getDescent()) / 2, top - PAD / 2);
                g.rotate(-Math.PI / 2);
                g.drawString(labels[i], 0, 0);
                g.setTransform(saved);
                long rowTotal = 0;
                for (long v : confusion[i]) {
                    rowTotal += v;
                }
                for (int j = 0; j < k; j++) {
                    double share = rowTotal == 0 ? 0 : (double) confusion[i][j] / rowTotal;
                    int shade = (int) Math.round(255 * (1 - share));
                    g.setColor(new Color(shade, shade, 255));
                    int x = left + j * CELL;
                    int y = top + i * CELL;
                    g.fillRect(x, y, CELL, CELL);
                    g.setColor(Color.LIGHT_GRAY);
                    g.setStroke(new BasicStroke(1));
                    g.drawRect(x, y, CELL, CELL);
                    centered(g, Long.toString(confusion[i][j]), x, y, share > 0.5 ? Color.WHITE : Color.BLACK);
                }
            }
        } finally {
            g.dispose();
        }
        write(img, title, names, file);
    }

    /** The PNG with its title and class names as international text chunks (UTF-8: any name). */
    private static void write(BufferedImage img, String title, ClassNames names, Path file) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) {
            throw new IOException("no PNG writer in this JVM");
        }
        ImageWriter writer = writers.next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img),
                    writer.getDefaultWriteParam());
            IIOMetadataNode text = new IIOMetadataNode("iTXt");
            text.appendChild(entry(TITLE_KEY, title));
            text.appendChild(entry(CLASSES_KEY, names.names().stream()
                    .map(n -> "\"" + n.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
                    .collect(Collectors.joining(", ", "[", "]"))));
            IIOMetadataNode root = new IIOMetadataNode(metadata.getNativeMetadataFormatName());
            root.appendChild(text);
            try {
                metadata.mergeTree(metadata.getNativeMetadataFormatName(), root);
            } catch (IIOInvalidTreeException e) {
                throw new IOException("PNG text chunks: " + e.getMessage(), e);
            }
            writer.setOutput(out);
            writer.write(new IIOImage(img, null, metadata));
        } finally {
            writer.dispose();
        }
    }

    private static IIOMetadataNode entry(String keyword, String value) {
        IIOMetadataNode e = new IIOMetadataNode("iTXtEntry");
        e.setAttribute("keyword", keyword);
        e.setAttribute("compressionFlag", "FALSE");
        e.setAttribute("compressionMethod", "0");
        e.setAttribute("languageTag", "");
        e.setAttribute("translatedKeyword", "");
        e.setAttribute("text", value);
        return e;
    }

    private static int textWidth(String text, Font font) {
        Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        try {
            return g.getFontMetrics(font).stringWidth(text);
        } finally {
            g.dispose();
        }
    }

    private static void centered(Graphics2D g, String text, int x, int y, Color color) {
        FontMetrics fm = g.getFontMetrics();
        g.setColor(color);
        g.drawString(text, x + (CELL - fm.stringWidth(text)) / 2, y + (CELL + fm.getAscent() - fm.getDescent()) / 2);
    }
}
