package org.syncbn.conv;

import org.nd4j.linalg.api.buffer.DataType;
import org.syncbn.natives.NativeBuild;

import java.util.function.BooleanSupplier;

/**
 * Which code a {@link FastConvolutionLayer} runs forward and backward, decided per layer from what
 * was measured (bench/results/2026-12-01-cnn-profile.md, 2026-12-01-cnn-speed.md):
 *
 * <ul>
 * <li>float, where oneDNN 2.5.2 loads and passes its self-check ({@link OneDnnLibrary}; any ND4J
 * build, any dilation): {@link Kernel#ONEDNN} both ways. Its primitives on oneDNN's own blocked
 * layouts take 0.44-0.48 ms per ResNet-20 3×3 convolution (batch 32, one thread) forward, backward
 * data and backward weights alike, where libnd4j's bundled oneDNN 2.3 on plain layouts takes
 * 2.5-4.4 ms for the weight gradient alone. Whole networks, measured side by side (one thread,
 * cnn-speed results, section "oneDNN 2.5.2 convolutions"): ResNet-20 trains 2.09x faster than on
 * the libnd4j ops below, the fashion-cnn network 1.34x, on the oneDNN ND4J build; on the generic
 * build the only other float route is DL4J's own code (7x slower for ResNet-20).
 * <li>float on a oneDNN ND4J build without that library, no dilation: {@link Kernel#LIBND4J}, the
 * {@code conv2d}/{@code conv2d_bp} ops, which run oneDNN 2.3 there (ResNet-20 ~2.8x faster than
 * DL4J's own layer, the fashion-cnn network ~1.8x).
 * <li>everything else keeps DL4J's own code: oneDNN builds throw for a dilated float convolution
 * ("could not create a descriptor for a dilated convolution"); oneDNN has no f64 convolution, and
 * without oneDNN (generic builds, or double) libnd4j's own {@code conv2d_bp} is slower than DL4J's
 * backward, and its forward, though faster than DL4J's im2col alone, made the fashion-cnn network
 * train 30% slower measured side by side (226 vs 326 samples/s on the generic build): its output
 * layout slows the BatchNorm after it.
 * </ul>
 * Every route computes the same sums as DL4J (in another order) with DL4J's parameter layout.
 *
 * @param forward  the forward pass's kernel
 * @param backward the backward pass's kernel (input, weight and bias gradients)
 */
public record ConvRoute(Kernel forward, Kernel backward) {
    /** Who convolves. */
    public enum Kernel {
        /** DL4J's own ConvolutionLayer code (im2col + gemm). */
        DL4J,
        /** libnd4j's conv2d / conv2d_bp ops (oneDNN 2.3 on a oneDNN ND4J build). */
        LIBND4J,
        /** oneDNN 2.5.2's primitives on blocked layouts ({@link OneDnnConvolution}); float only. */
        ONEDNN
    }

    /** DL4J's own code, forward and backward. */
    public static final ConvRoute DL4J = new ConvRoute(Kernel.DL4J, Kernel.DL4J);
    /** libnd4j's ops forward and backward. */
    public static final ConvRoute OPS = new ConvRoute(Kernel.LIBND4J, Kernel.LIBND4J);
    /** oneDNN 2.5.2 forward and backward. */
    public static final ConvRoute ONEDNN = new ConvRoute(Kernel.ONEDNN, Kernel.ONEDNN);

    /**
     * The route for a layer of {@code dtype} with {@code dilation} on the ND4J build {@code build};
     * {@code oneDnnLoads} (asked only for float layers, so that double networks never load the
     * library) says whether oneDNN 2.5.2 passed its check in this JVM.
     */
    public static ConvRoute choose(DataType dtype, int[] dilation, NativeBuild build, BooleanSupplier oneDnnLoads) {
        if (dtype != DataType.FLOAT) {
            return DL4J;
        }
        if (oneDnnLoads.getAsBoolean()) {
            return ONEDNN;
        }
        boolean dilated = dilation[0] != 1 || dilation[1] != 1;
        return build.haveOneDnn() && build.oneDnnEnabled() && !dilated ? OPS : DL4J;
    }
}
