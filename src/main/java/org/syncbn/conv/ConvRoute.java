package org.syncbn.conv;

import org.nd4j.linalg.api.buffer.DataType;
import org.syncbn.natives.NativeBuild;

/**
 * Which code a {@link FastConvolutionLayer} runs, decided per layer from what was measured on
 * libnd4j 1.0.0-M2 (bench/results/2026-12-01-cnn-profile.md, 2026-12-01-cnn-speed.md):
 *
 * <ul>
 * <li>float on a oneDNN build, no dilation: forward through {@code conv2d} and backward through
 * {@code conv2d_bp}, both of which run oneDNN there (ResNet-20 trains ~2.8x faster than with DL4J's
 * own layer, the fashion-cnn network ~1.8x).
 * <li>everything else keeps DL4J's own code: oneDNN builds throw for a dilated float convolution
 * ("could not create a descriptor for a dilated convolution"); without oneDNN (generic builds, or
 * double) libnd4j's own {@code conv2d_bp} is slower than DL4J's backward, and its forward, though
 * faster than DL4J's im2col alone, made the fashion-cnn network train 30% slower measured side by
 * side (226 vs 326 samples/s on the generic build): its output layout slows the BatchNorm after it.
 * </ul>
 * Both routes compute the same sums as DL4J (in another order) with DL4J's parameter layout.
 *
 * @param forwardOp  forward through libnd4j's conv2d op (else DL4J's own)
 * @param backwardOp backward through libnd4j's conv2d_bp op (else DL4J's own)
 */
public record ConvRoute(boolean forwardOp, boolean backwardOp) {
    /** DL4J's own code, forward and backward. */
    public static final ConvRoute DL4J = new ConvRoute(false, false);
    /** libnd4j's ops forward and backward. */
    public static final ConvRoute OPS = new ConvRoute(true, true);

    /** The route for a layer of {@code dtype} with {@code dilation} on the native build {@code build}. */
    public static ConvRoute choose(DataType dtype, int[] dilation, NativeBuild build) {
        boolean dilated = dilation[0] != 1 || dilation[1] != 1;
        boolean oneDnn = build.haveOneDnn() && build.oneDnnEnabled() && dtype == DataType.FLOAT;
        return oneDnn && !dilated ? OPS : DL4J;
    }
}
