package org.syncbn.data;

import java.util.Optional;

/** Labelled images as {@link Examples}: pixels scaled to [0,1], labels one-hot over numClasses. */
public record ImageExamples(LabeledImages images, int numClasses) implements Examples {
    @Override
    public Optional<ImageShape> imageShape() {
        return Optional.of(images.shape());
    }

    @Override
    public int count() {
        return images.count();
    }

    @Override
    public int featureSize() {
        return images.features();
    }

    @Override
    public int labelSize() {
        return numClasses;
    }

    @Override
    public void copyFeatures(int i, double[] dst, int off) {
        images.copyFeatures(i, dst, off);
    }

    @Override
    public void copyFeatures(int i, float[] dst, int off) {
        images.copyFeatures(i, dst, off);
    }

    @Override
    public void copyLabels(int i, double[] dst, int off) {
        java.util.Arrays.fill(dst, off, off + numClasses, 0.0);
        dst[off + images.label(i)] = 1.0;
    }

    @Override
    public void copyLabels(int i, float[] dst, int off) {
        java.util.Arrays.fill(dst, off, off + numClasses, 0f);
        dst[off + images.label(i)] = 1f;
    }

    @Override
    public Examples subset(int[] indices) {
        return new ImageExamples(images.subset(indices), numClasses);
    }
}
