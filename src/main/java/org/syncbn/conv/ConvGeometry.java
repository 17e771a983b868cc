package org.syncbn.conv;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything that fixes one 2D convolution's arithmetic and array shapes: batch, channels, input
 * and output sizes, kernel, stride, dilation, the padding on each side, the data format of the
 * activations and whether there is a bias. Weights are always DL4J's [oC, iC, kH, kW].
 *
 * <p>Output and padding follow DL4J's ConvolutionLayer exactly (its ConvolutionUtils): with
 * effective kernel k' = (k - 1)·d + 1, Same mode has out = ceil(in / s) and total padding
 * t = (out - 1)·s + k' - in, floor(t/2) top-left and the rest bottom-right; the other modes pad p
 * on both sides and have out = floor((in + 2p - k') / s) + 1 (rows the stride does not reach are
 * dropped, as oneDNN's floor in the same formula drops them).
 */
public record ConvGeometry(int batch, int inChannels, int outChannels, Hw in, Hw out, Hw kernel, Hw stride,
                           Hw dilation, Hw padTopLeft, Hw padBottomRight, CNN2DFormat format, boolean bias) {

    /** A (height, width) pair. */
    public record Hw(int h, int w) {
        static Hw of(int[] hw) {
            return new Hw(hw[0], hw[1]);
        }
    }

    /** The geometry of layer {@code conf} (in {@code mode}) on an input of shape {@code input} in the layer's format. */
    public static ConvGeometry of(ConvolutionLayer conf, ConvolutionMode mode, INDArray input, boolean bias) {
        CNN2DFormat format = conf.getCnn2dDataFormat();
        int[] k = conf.getKernelSize();
        int[] s = conf.getStride();
        int[] d = conf.getDilation();
        boolean same = mode == ConvolutionMode.Same;
        int[] out = ConvolutionUtils.getOutputSize(input, k, s, same ? null : conf.getPadding(), mode, d, format);
        long[] shape = input.shape();
        int c = (int) (format == CNN2DFormat.NCHW ? shape[1] : shape[3]);
        int[] in = format == CNN2DFormat.NCHW ? new int[] {(int) shape[2], (int) shape[3]}
                : new int[] {(int) shape[1], (int) shape[2]};
        int[] topLeft = same ? ConvolutionUtils.getSameModeTopLeftPadding(out, in, k, s, d) : conf.getPadding();
        int[] bottomRight = same ? ConvolutionUtils.getSameModeBottomRightPadding(out, in, k, s, d) : conf.getPadding();
        return new ConvGeometry((int) shape[0], c, (int) conf.getNOut(), Hw.of(in), Hw.of(out), Hw.of(k), Hw.of(s),
                Hw.of(d), Hw.of(topLeft), Hw.of(bottomRight), format, bias);
    }

    /** The activations' shape [n, c, h, w] (NCHW) or [n, h, w, c] (NHWC) of {@code channels} channels of size {@code hw}. */
    private long[] activations(int channels, Hw hw) {
        return format == CNN2DFormat.NCHW ? new long[] {batch, channels, hw.h(), hw.w()}
                : new long[] {batch, hw.h(), hw.w(), channels};
    }

    /** The input's shape in the layer's format. */
    public long[] inputShape() {
        return activations(inChannels, in);
    }

    /** The output's shape in the layer's format. */
    public long[] outputShape() {
        return activations(outChannels, out);
    }

    /** DL4J's weight shape [oC, iC, kH, kW]. */
    public long[] weightShape() {
        return new long[] {outChannels, inChannels, kernel.h(), kernel.w()};
    }

    /** The logical dimensions oneDNN takes for the input, always (n, c, h, w) whatever the layout. */
    long[] inputDims() {
        return new long[] {batch, inChannels, in.h(), in.w()};
    }

    /** The logical dimensions oneDNN takes for the output. */
    long[] outputDims() {
        return new long[] {batch, outChannels, out.h(), out.w()};
    }
}
