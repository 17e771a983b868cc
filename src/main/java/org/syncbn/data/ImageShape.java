package org.syncbn.data;

import org.syncbn.config.JobSpec;

import java.io.Serializable;
import java.util.List;
import java.util.Optional;

/**
 * The shape of one example's image: {@code channels x height x width}. Its flat features hold the
 * pixels in CHW order (channel 0 row by row, then channel 1, ...), which is the order DL4J's
 * {@code InputType.convolutionalFlat(height, width, channels)} and an NCHW reshape read them in.
 */
public record ImageShape(int channels, int height, int width) implements Serializable {

    /** Arrays up to this length are what one Java array (one example's features) can hold. */
    private static final long MAX_FEATURES = Integer.MAX_VALUE - 8;

    /** The CIFAR binary format's images: 3 channels (R, G, B) of 32x32. */
    public static final ImageShape CIFAR = new ImageShape(3, 32, 32);

    public ImageShape {
        if (channels < 1 || height < 1 || width < 1 || (long) channels * height * width > MAX_FEATURES) {
            throw new IllegalArgumentException("image shape " + channels + "x" + height + "x" + width
                    + ": expected three sizes >= 1 whose product is at most " + MAX_FEATURES);
        }
    }

    /** The shape {@code data.imageShape} gives, or empty for [] (the format's own shape, or flat features). */
    public static Optional<ImageShape> of(JobSpec.DataSpec data) {
        List<Integer> s = data.imageShape();
        return s.isEmpty() ? Optional.empty() : Optional.of(new ImageShape(s.get(0), s.get(1), s.get(2)));
    }

    /** Features per example: channels * height * width. */
    public int size() {
        return channels * height * width;
    }

    /** As a job spec writes it: {@code [C, H, W]}. */
    public List<Integer> toList() {
        return List.of(channels, height, width);
    }

    /** The minibatch shape of {@code n} such examples, NCHW. */
    public long[] nchw(long n) {
        return new long[] {n, channels, height, width};
    }

    /** {@code CxHxW}, for messages. */
    @Override
    public String toString() {
        return channels + "x" + height + "x" + width;
    }
}
