package org.syncbn.conv;

import org.bytedeco.dnnl.engine;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Locale;
import java.util.Random;

/**
 * One small convolution through {@link OneDnnConvolution} (batch 2, 3 → 5 channels, 7×6 input,
 * 3×2 kernel, stride (2, 1), padding (1, 0) / (1, 1), bias, NCHW: blocked layouts, reorders,
 * uneven padding and all four results) against the definition computed here in double:
 *
 * <pre>
 * z[n,o,y,x]  = b[o] + Σ_{c,i,j} x[n,c,y·s_h+i-p_t, x·s_w+j-p_l] · W[o,c,i,j]   (x outside the image is 0)
 * ∂L/∂x[n,c,u,v] = Σ_{o,i,j : u = y·s_h+i-p_t, v = x·s_w+j-p_l} δ[n,o,y,x] · W[o,c,i,j]
 * ∂L/∂W[o,c,i,j] = Σ_{n,y,x} δ[n,o,y,x] · x[n,c,y·s_h+i-p_t, x·s_w+j-p_l]
 * ∂L/∂b[o]       = Σ_{n,y,x} δ[n,o,y,x]
 * </pre>
 * Passes when each float result is within 1e-5 of the double one, relative to its largest magnitude
 * (sums of at most 36 products of values in [-1, 1] here: float rounding stays near 1e-7).
 */
final class OneDnnSelfCheck {
    static final double TOLERANCE = 1e-5;

    private OneDnnSelfCheck() {
    }

    /** Null when oneDNN on {@code engine} computes the check's convolution, else what differed. */
    static String mismatch(engine engine) {
        ConvGeometry g = new ConvGeometry(2, 3, 5, new ConvGeometry.Hw(7, 6), new ConvGeometry.Hw(4, 6),
                new ConvGeometry.Hw(3, 2), new ConvGeometry.Hw(2, 1), new ConvGeometry.Hw(1, 1),
                new ConvGeometry.Hw(1, 0), new ConvGeometry.Hw(1, 1), CNN2DFormat.NCHW, true);
        Random r = new Random(20261201);
        double[] x = random(r, g.inputShape());
        double[] w = random(r, g.weightShape());
        double[] b = random(r, new long[] {g.outChannels()});
        double[] delta = random(r, g.outputShape());
        Reference ref = new Reference(g, x, w, b, delta);

        INDArray z = Nd4j.create(DataType.FLOAT, g.outputShape());
        INDArray gradX = Nd4j.create(DataType.FLOAT, g.inputShape());
        INDArray gradW = Nd4j.create(DataType.FLOAT, g.weightShape());
        INDArray gradB = Nd4j.create(DataType.FLOAT, g.outChannels());
        INDArray xa = array(x, g.inputShape());
        INDArray wa = array(w, g.weightShape());
        INDArray da = array(delta, g.outputShape());
        try (OneDnnConvolution conv = new OneDnnConvolution(g, 1, engine)) {
            conv.forward(PlainArrays.address(xa), PlainArrays.address(wa), PlainArrays.address(array(b, new long[] {g.outChannels()})),
                    PlainArrays.address(z), new ArrayScratch());
            conv.backward(PlainArrays.address(xa), PlainArrays.address(wa), PlainArrays.address(da), PlainArrays.address(gradX),
                    PlainArrays.address(gradW), PlainArrays.address(gradB), new ArrayScratch());
        }
        String[] names = {"forward", "input gradient", "weight gradient", "bias gradient"};
        INDArray[] got = {z, gradX, gradW, gradB};
        double[][] want = {ref.z, ref.gradX, ref.gradW, ref.gradB};
        for (int i = 0; i < names.length; i++) {
            double d = relDiff(got[i], want[i]);
            if (!(d <= TOLERANCE)) {
                return String.format(Locale.ROOT, "the %s differs from its definition by %.3e (relative, tolerance %.0e)",
                        names[i], d, TOLERANCE);
            }
        }
        return null;
    }

    /** The definition, in double, NCHW and OIHW index order. */
    private static final class Reference {
        final double[] z;
        final double[] gradX;
        final double[] gradW;
        final double[] gradB;

        Reference(ConvGeometry g, double[] x, double[] w, double[] b, double[] delta) {
            int n = g.batch(), c = g.inChannels(), o = g.outChannels();
            int h = g.in().h(), wd = g.in().w(), oh = g.out().h(), ow = g.out().w();
            int kh = g.kernel().h(), kw = g.kernel().w();
            z = new double[n * o * oh * ow];
            gradX = new double[x.length];
            gradW = new double[w.length];
            gradB = new double[o];
            for (int in = 0; in < n; in++) {
                for (int io = 0; io < o; io++) {
                    for (int y = 0; y < oh; y++) {
                        for (int xx = 0; xx < ow; xx++) {
                            int zi = ((in * o + io) * oh + y) * ow + xx;
                            double sum = b[io];
                            double dz = delta[zi];
                            gradB[io] += dz;
                            for (int ic = 0; ic < c; ic++) {
                                for (int i = 0; i < kh; i++) {
                                    int u = y * g.stride().h() + i * g.dilation().h() - g.padTopLeft().h();
                                    for (int j = 0; j < kw; j++) {
                                        int v = xx * g.stride().w() + j * g.dilation().w() - g.padTopLeft().w();
                                        if (u < 0 || u >= h || v < 0 || v >= wd) {
                                            continue;
                                        }
                                        int xi = ((in * c + ic) * h + u) * wd + v;
                                        int wi = ((io * c + ic) * kh + i) * kw + j;
                                        sum += x[xi] * w[wi];
                                        gradX[xi] += dz * w[wi];
                                        gradW[wi] += dz * x[xi];
                                    }
                                }
                            }
                            z[zi] = sum;
                        }
                    }
                }
            }
        }
    }

    private static double[] random(Random r, long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] out = new double[(int) n];
        for (int i = 0; i < out.length; i++) {
            out[i] = 2 * r.nextDouble() - 1;
        }
        return out;
    }

    private static INDArray array(double[] values, long[] shape) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return Nd4j.create(f, shape, 'c');
    }

    private static double relDiff(INDArray array, double[] want) {
        double[] got = array.data().asDouble();
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            diff = Math.max(diff, Math.abs(want[i] - got[i]));
        }
        return diff / Math.max(scale, Double.MIN_NORMAL);
    }
}
