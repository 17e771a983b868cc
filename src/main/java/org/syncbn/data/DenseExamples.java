package org.syncbn.data;

import java.util.Optional;

/**
 * Examples held as dense row-major feature and label matrices (from tables or arbitrary DL4J
 * DataSets). Stored in double so that double networks see their inputs exactly; float networks
 * get each value rounded once, as DL4J itself would.
 *
 * @param shape the image each row's features are (CHW order), or null for flat features
 */
public record DenseExamples(int count, int featureSize, int labelSize, double[] features, double[] labels,
                            ImageShape shape) implements Examples {

    public DenseExamples {
        if (features.length != (long) count * featureSize || labels.length != (long) count * labelSize) {
            throw new IllegalArgumentException("dense examples: " + count + " rows do not match array sizes "
                    + features.length + "/" + labels.length);
        }
        if (shape != null && shape.size() != featureSize) {
            throw new IllegalArgumentException("dense examples: " + featureSize + " features per row are not an "
                    + shape + " image");
        }
    }

    /** Flat features (no image shape). */
    public DenseExamples(int count, int featureSize, int labelSize, double[] features, double[] labels) {
        this(count, featureSize, labelSize, features, labels, null);
    }

    @Override
    public Optional<ImageShape> imageShape() {
        return Optional.ofNullable(shape);
    }

    @Override
    public void copyFeatures(int i, double[] dst, int off) {
        System.arraycopy(features, i * featureSize, dst, off, featureSize);
    }

    @Override
    public void copyFeatures(int i, float[] dst, int off) {
        for (int j = 0; j < featureSize; j++) {
            dst[off + j] = (float) features[i * featureSize + j];
        }
    }

    @Override
    public void copyLabels(int i, double[] dst, int off) {
        System.arraycopy(labels, i * labelSize, dst, off, labelSize);
    }

    @Override
    public void copyLabels(int i, float[] dst, int off) {
        for (int j = 0; j < labelSize; j++) {
            dst[off + j] = (float) labels[i * labelSize + j];
        }
    }

    @Override
    public Examples subset(int[] indices) {
        double[] f = new double[indices.length * featureSize];
        double[] l = new double[indices.length * labelSize];
        for (int i = 0; i < indices.length; i++) {
            copyFeatures(indices[i], f, i * featureSize);
            copyLabels(indices[i], l, i * labelSize);
        }
        return new DenseExamples(indices.length, featureSize, labelSize, f, l, shape);
    }
}
