package org.syncbn.network;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Serializable;

/**
 * How a network takes an example: as its flat feature vector (DL4J's input preprocessor, if any,
 * reshapes it), or as an image [C, H, W] (NCHW) or [H, W, C] (NHWC) made from the flat vector, which
 * holds the pixels in CHW order.
 *
 * @param kind     the form
 * @param channels C (0 for flat)
 * @param height   H
 * @param width    W
 */
public record InputLayout(Kind kind, int channels, int height, int width) implements Serializable {
    public enum Kind { FLAT, NCHW, NHWC }

    public static final InputLayout FLAT = new InputLayout(Kind.FLAT, 0, 0, 0);

    public static InputLayout image(Kind kind, int channels, int height, int width) {
        if (kind == Kind.FLAT || channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("an image layout needs NCHW or NHWC and C, H, W >= 1");
        }
        return new InputLayout(kind, channels, height, width);
    }

    public boolean isImage() {
        return kind != Kind.FLAT;
    }

    /** Features per example of an image layout. */
    public int features() {
        return channels * height * width;
    }

    /** A batch of flat features [N, F] in this layout. */
    public INDArray apply(INDArray flat) {
        if (kind == Kind.FLAT) {
            return flat;
        }
        INDArray nchw = flat.reshape('c', flat.size(0), channels, height, width);
        return kind == Kind.NCHW ? nchw : nchw.permute(0, 2, 3, 1).dup('c');
    }

    @Override
    public String toString() {
        return kind == Kind.FLAT ? "flat features" : kind + " images of " + channels + "x" + height + "x" + width;
    }
}
