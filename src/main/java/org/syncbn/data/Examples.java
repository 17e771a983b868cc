package org.syncbn.data;

import java.io.Serializable;
import java.util.Optional;

/** A fixed, indexable set of (features, label vector) examples held by one worker. */
public interface Examples extends Serializable {
    int count();

    int featureSize();

    int labelSize();

    /**
     * The image every example's features are, in CHW order ({@code featureSize() == shape.size()}),
     * or empty when the features are a flat vector.
     */
    Optional<ImageShape> imageShape();

    /** Writes example {@code i}'s features into {@code dst[off .. off+featureSize)}. */
    void copyFeatures(int i, double[] dst, int off);

    /** Writes example {@code i}'s label vector (one-hot for classes) into {@code dst[off ..)}. */
    void copyLabels(int i, double[] dst, int off);

    /** Float twin of {@link #copyFeatures(int, double[], int)}, for float networks. */
    void copyFeatures(int i, float[] dst, int off);

    /** Float twin of {@link #copyLabels(int, double[], int)}. */
    void copyLabels(int i, float[] dst, int off);

    /** The examples at {@code indices}, in that order. */
    Examples subset(int[] indices);
}
