package org.syncbn.data;

/**
 * Examples held as dense row-major feature and label matrices (from arbitrary DL4J DataSets).
 * Stored in double so that double networks see their inputs exactly; float networks get each
 * value rounded once, as DL4J itself would.
 */
public record DenseExamples(int count, int featureSize, int labelSize, double[] features, double[] labels)
        implements Examples {

    public DenseExamples {
        if (features.length != (long) count * featureSize || labels.length != (long) count * labelSize) {
            throw new IllegalArgumentException("dense examples: " + count + " rows do not match array sizes "
                    + features.length + "/" + labels.length);
        }
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
        return new DenseExamples(indices.length, featureSize, labelSize, f, l);
    }
}
