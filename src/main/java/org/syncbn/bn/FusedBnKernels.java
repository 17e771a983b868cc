package org.syncbn.bn;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.natives.DenseLayout;

/**
 * A dense c-order copy of an activation or gradient array in a Java array, and the fused per-channel
 * loops of SyncBN training over it (docs/ARCHITECTURE.md, "SyncBN math"): per normalisation batch k
 * and channel c
 * <ul>
 *   <li>{@link #moments}: mean m = Σx / n and M2 = Σ(x − m)², two passes (stable, accumulated in double);</li>
 *   <li>{@link #affine}: y = a·(x − μ) + s, one pass; with a = γ/σ, s = β this is y = γ x̂ + β;</li>
 *   <li>{@link #gradientSums}: S1 = Σ dy and S2 = Σ dy·(x − μ), one pass (in double);</li>
 *   <li>{@link #inputGradient}: dx = a·dy + q·(x − μ) + s, one pass; with a = γ/σ,
 *       q = −γ S2/(N σ³), s = −γ S1/(N σ) this is γ/σ·(dy − S1/N − x̂·S2/(N σ)).</li>
 * </ul>
 * They replace chains of ND4J ops (mean, var, broadcast sub/mul/add, sum, copies), each a full pass
 * with its own allocation and per-channel reductions over strided dimensions; x̂ is never stored,
 * the backward pass recomputes it from this copy of x.
 *
 * <p>Layout ({@link Block}): dense [N, C] and NCHW are [outer][C][inner] (inner = H·W, 1 for dense),
 * NHWC is [outer·H·W][C] (inner = 1); several ghost batches are consecutive blocks of the same layout.
 */
abstract sealed class FusedBnKernels permits FusedBnKernels.Floats, FusedBnKernels.Doubles {

    /**
     * {@code blocks} normalisation batches one after another from element {@code offset}, each
     * [outer][channels][inner]; per (block, channel) values are indexed block·channels + channel.
     */
    record Block(int offset, int blocks, int outer, int channels, int inner) {
        /** Elements per channel of one block: n of the formulas. */
        double count() {
            return (double) outer * inner;
        }

        /** Where row {@code o} of block {@code k} starts. */
        int at(int k, int o) {
            return offset + (k * outer + o) * channels * inner;
        }
    }

    /**
     * A dense c-order copy of {@code a} (float or double): into {@code reuse}'s array where that has
     * a's type and length (a layer keeps its arrays from step to step: no allocation, no zeroing,
     * no garbage), else into a new one.
     */
    static FusedBnKernels copyOf(INDArray a, FusedBnKernels reuse) {
        if (a.length() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("BN input of " + a.length() + " elements exceeds a Java array");
        }
        INDArray plain = DenseLayout.isDenseC(a) ? a : a.dup('c');
        int n = (int) a.length();
        // a view's buffer starts at the view's offset (see conv/PlainArrays): one bulk copy
        return switch (a.dataType()) {
            case FLOAT -> {
                Floats f = reuse instanceof Floats r && r.v.length == n ? r : new Floats(new float[n]);
                new FloatPointer(plain.data().addressPointer()).get(f.v, 0, n);
                yield f;
            }
            case DOUBLE -> {
                Doubles d = reuse instanceof Doubles r && r.v.length == n ? r : new Doubles(new double[n]);
                new DoublePointer(plain.data().addressPointer()).get(d.v, 0, n);
                yield d;
            }
            default -> throw new IllegalArgumentException("fused BN kernels take float or double, got " + a.dataType());
        };
    }

    /**
     * An array of the same type and length for a kernel's output (which writes every element):
     * {@code reuse} where it fits, else a new one.
     */
    abstract FusedBnKernels like(FusedBnKernels reuse);

    /** These values as a new c-order ND4J array of {@code shape}, in the current workspace if one is open. */
    abstract INDArray toNd4j(long[] shape);

    /** Adds each block's per-channel mean and M2 = Σ(x − mean)² into {@code mean}, {@code m2} (zeroed). */
    abstract void moments(Block b, double[] mean, double[] m2);

    /** out = scale·(this − mu) + shift per (block, channel). */
    abstract void affine(Block b, double[] mu, double[] scale, double[] shift, FusedBnKernels out);

    /** With this = x: adds Σ dy and Σ dy·(x − mu) per (block, channel) into {@code s1}, {@code s2} (zeroed). */
    abstract void gradientSums(FusedBnKernels dy, Block b, double[] mu, double[] s1, double[] s2);

    /** With this = x: out = dyCoeff·dy + xCoeff·(x − mu) + shift per (block, channel). */
    abstract void inputGradient(FusedBnKernels dy, Block b, double[] mu, double[] dyCoeff, double[] xCoeff,
                                double[] shift, FusedBnKernels out);

    /** The float kernels: sums in double, the elementwise passes in float (vectorised by the JIT). */
    static final class Floats extends FusedBnKernels {
        private final float[] v;

        Floats(float[] v) {
            this.v = v;
        }

        @Override
        FusedBnKernels like(FusedBnKernels reuse) {
            return reuse instanceof Floats r && r.v.length == v.length && r != this ? r : new Floats(new float[v.length]);
        }

        @Override
        INDArray toNd4j(long[] shape) {
            INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
            new FloatPointer(a.data().addressPointer()).put(v, 0, v.length);
            return a;
        }

        @Override
        void moments(Block b, double[] mean, double[] m2) {
            float[] x = v;
            int ch = b.channels();
            int inner = b.inner();
            double n = b.count();
            for (int k = 0; k < b.blocks(); k++) {
                int kc = k * ch;
                // pass 1: Σx
                for (int o = 0; o < b.outer(); o++) {
                    int p = b.at(k, o);
                    if (inner == 1) {
                        for (int c = 0; c < ch; c++) {
                            mean[kc + c] += x[p + c];
                        }
                    } else {
                        for (int c = 0; c < ch; c++, p += inner) {
                            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                            int i = 0;
                            for (; i + 3 < inner; i += 4) {
                                s0 += x[p + i];
                                s1 += x[p + i + 1];
                                s2 += x[p + i + 2];
                                s3 += x[p + i + 3];
                            }
                            for (; i < inner; i++) {
                                s0 += x[p + i];
                            }
                            mean[kc + c] += (s0 + s1) + (s2 + s3);
                        }
                    }
                }
                for (int c = 0; c < ch; c++) {
                    mean[kc + c] = n == 0 ? 0 : mean[kc + c] / n;
                }
                // pass 2: M2 = Σ(x − m)², stable where Σx² − (Σx)²/n would cancel
                for (int o = 0; o < b.outer(); o++) {
                    int p = b.at(k, o);
                    if (inner == 1) {
                        for (int c = 0; c < ch; c++) {
                            double d = x[p + c] - mean[kc + c];
                            m2[kc + c] += d * d;
                        }
                    } else {
                        for (int c = 0; c < ch; c++, p += inner) {
                            double m = mean[kc + c];
                            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                            int i = 0;
                            for (; i + 3 < inner; i += 4) {
                                double d0 = x[p + i] - m;
                                double d1 = x[p + i + 1] - m;
                                double d2 = x[p + i + 2] - m;
                                double d3 = x[p + i + 3] - m;
                                s0 += d0 * d0;
                                s1 += d1 * d1;
                                s2 += d2 * d2;
                                s3 += d3 * d3;
                            }
                            for (; i < inner; i++) {
                                double d = x[p + i] - m;
                                s0 += d * d;
                            }
                            m2[kc + c] += (s0 + s1) + (s2 + s3);
                        }
                    }
                }
            }
        }

        @Override
        void affine(Block b, double[] mu, double[] scale, double[] shift, FusedBnKernels out) {
            float[] x = v;
            float[] y = ((Floats) out).v;
            int ch = b.channels();
            int inner = b.inner();
            float[] m = new float[ch];
            float[] a = new float[ch];
            float[] s = new float[ch];
            for (int k = 0; k < b.blocks(); k++) {
                for (int c = 0; c < ch; c++) {
                    m[c] = (float) mu[k * ch + c];
                    a[c] = (float) scale[k * ch + c];
                    s[c] = (float) shift[k * ch + c];
                }
                for (int o = 0; o < b.outer(); o++) {
                    int p = b.at(k, o);
                    if (inner == 1) {
                        for (int c = 0; c < ch; c++) {
                            y[p + c] = a[c] * (x[p + c] - m[c]) + s[c];
                        }
                    } else {
                        for (int c = 0; c < ch; c++, p += inner) {
                            float mc = m[c];
                            float ac = a[c];
                            float sc = s[c];
                            for (int i = p; i < p + inner; i++) {
                                y[i] = ac * (x[i] - mc) + sc;
                            }
                        }
                    }
                }
            }
        }

        @Override
        void gradientSums(FusedBnKernels gradient, Block b, double[] mu, double[] s1, double[] s2) {
            float[] x = v;
            float[] dy = ((Floats) gradient).v;
            int ch = b.channels();
            int inner = b.inner();
            for (int k = 0; k < b.blocks(); k++) {
                int kc = k * ch;
                for (int o = 0; o < b.outer(); o++) {
                    int p = b.at(k, o);
                    if (inner == 1) {
                        for (int c = 0; c < ch; c++) {
                            double g = dy[p + c];
                            s1[kc + c] += g;
                            s2[kc + c] += g * (x[p + c] - mu[kc + c]);
                        }
                    } else {
                        for (int c = 0; c < ch; c++, p += inner) {
                            double m = mu[kc + c];
                            // four independent chains per sum: one chain waits on the adder's latency
                            double a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
                            int i = 0;
                            for (; i + 3 < inner; i += 4) {
                                double g0 = dy[p + i];
                                double g1 = dy[p + i + 1];
                                double g2 = dy[p + i + 2];
                                double g3 = dy[p + i + 3];
                                a0 += g0;
                                a1 += g1;
                                a2 += g2;
                                a3 += g3;
                                b0 += g0 * (x[p + i] - m);
                                b1 += g1 * (x[p + i + 1] - m);
                                b2 += g2 * (x[p + i + 2] - m);
                                b3 += g3 * (x[p + i + 3] - m);
                            }
                            for (; i < inner; i++) {
                                double g = dy[p + i];
                                a0 += g;
                                b0 += g * (x[p + i] - m);
                            }
                            s1[kc + c] += (a0 + a1) + (a2 + a3);
                            s2[kc + c] += (b0 + b1) + (b2 + b3);
                        }
                    }
                }
            }
        }

        @Override
        void inputGradient(FusedBnKernels gradient, Block b, double[] mu, double[] dyCoeff, double[] xCoeff,
                           double[] shift, FusedBnKernels out) {
            float[] x = v;
            float[] dy = ((Floats) gradient).v;
            float[] dx = ((Floats) out).v;
            int ch = b.channels();
            int inner = b.inner();
            float[] m = new float[ch];
            float[] a = new float[ch];
            float[] q = new float[ch];
            float[] s = new float[ch];
            for (int k = 0; k < b.blocks(); k++) {
                for (int c = 0; c < ch; c++) {
                    m[c] = (float) mu[k * ch + c];
                    a[c] = (float) dyCoeff[k * ch + c];
                    q[c] = (float) xCoeff[k * ch + c];
                    s[c] = (float) shift[k * ch + c];
                }
                for (int o = 0; o < b.outer(); o++) {
                    int p = b.at(k, o);
                    if (inner == 1) {
                        for (int c = 0; c < ch; c++) {
                            dx[p + c] = a[c] * dy[p + c] + q[c] * (x[p + c] - m[c]) + s[c];
                        }
                    } else {
                        for (int c = 0; c < ch; c++, p += inner) {
                            float mc = m[c];
                            float ac = a[c];
                            float qc = q[c];
                            float sc = s[c];
                            for (int i = p; i < p + inner; i++) {
                                dx[i] = ac * dy[i] + qc * (x[i] - mc) + sc;
                            }
                        }
                    }
                }
            }
        }
    }

    /** The double kernels. */
    static final class Doubles extends FusedBnKernels {
        private final double[] v;

        Doubles(double[] v) {
            this.v = v;
        }

        @Override
        FusedBnKernels like(FusedBnKernels reuse) {
            return reuse instanceof Doubles r && r.v.length == v.length && r != this ? r : new Doubles(new double[v.length]);
        }

        @Override
        INDArray toNd4j(long[] shape) {
            INDArray a = Nd4j.createUninitialized(DataType.DOUBLE, shape, 'c');
            new DoublePointer(a.data().addressPointer()).put(v, 0, v.length);
            return a;
        }

        @Override
        void moments(Block b, double[] mean, double[] m2) {
            double[] x = v;
            int ch = b.channels();
            int inner = b.inner();
            double n = b.count();
            for (int k = 0; k < b.blocks(); k++) {
                int kc = k * ch;
                // pass 1: Σx
                for (int o = 0; o < b.outer(); o++) {
                    int p = b.at(k, o);
                    if (inner == 1) {
                        for (int c = 0; c < ch; c++) {
                            mean[kc + c] += x[p + c];
                        }
                    } else {
                        for (int c = 0; c < ch; c++, p += inner) {
                            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                            int i = 0;
                            for (; i + 3 < inner; i += 4) {
                                s0 += x[p + i];
                                s1 += x[p + i + 1];
                                s2 += x[p + i + 2];
                                s3 += x[p + i + 3];
                            }
                            for (; i < inner; i++) {
                                s0 += x[p + i];
                            }
                            mean[kc + c] += (s0 + s1) + (s2 + s3);
                        }
                    }
                }
                for (int c = 0; c < ch; c++) {
                    mean[kc + c] = n == 0 ? 0 : mean[kc + c] / n;
                }
                // pass 2: M2 = Σ(x − m)², stable where Σx² − (Σx)²/n would cancel
                for (int o = 0; o < b.outer(); o++) {
                    int p = b.at(k, o);
                    if (inner == 1) {
                        for (int c = 0; c < ch; c++) {
                            double d = x[p + c] - mean[kc + c];
                            m2[kc + c] += d * d;
                        }
                    } else {
                        for (int c = 0; c < ch; c++, p += inner) {
                            double m = mean[kc + c];
                            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                            int i = 0;
                            for (; i + 3 < inner; i += 4) {
                                double d0 = x[p + i] - m;
                                double d1 = x[p + i + 1] - m;
                                double d2 = x[p + i + 2] - m;
                                double d3 = x[p + i + 3] - m;
                                s0 += d0 * d0;
                                s1 += d1 * d1;
                                s2 += d2 * d2;
                                s3 += d3 * d3;
                            }
                            for (; i < inner; i++) {
                                double d = x[p + i] - m;
                                s0 += d * d;
                            }
                            m2[kc + c] += (s0 + s1) + (s2 + s3);
                        }
                    }
                }
            }
        }

        @Override
        void affine(Block b, double[] mu, double[] scale, double[] shift, FusedBnKernels out) {
            double[] x = v;
            double[] y = ((Doubles) out).v;
            int ch = b.channels();
            int inner = b.inner();
            double[] m = new double[ch];
            double[] a = new double[ch];
            double[] s = new double[ch];
            for (int k = 0; k < b.blocks(); k++) {
                for (int c = 0; c < ch; c++) {
                    m[c] = mu[k * ch + c];
                    a[c] = scale[k * ch + c];
                    s[c] = shift[k * ch + c];
                }
                for (int o = 0; o < b.outer(); o++) {
                    int p = b.at(k, o);
                    if (inner == 1) {
                        for (int c = 0; c < ch; c++) {
                            y[p + c] = a[c] * (x[p + c] - m[c]) + s[c];
                        }
                    } else {
                        for (int c = 0; c < ch; c++, p += inner) {
                            double mc = m[c];
                            double ac = a[c];
                            double sc = s[c];
                            for (int i = p; i < p + inner; i++) {
                                y[i] = ac * (x[i] - mc) + sc;
                            }
                        }
                    }
                }
            }
        }

        @Override
        void gradientSums(FusedBnKernels gradient, Block b, double[] mu, double[] s1, double[] s2) {
            double[] x = v;
            double[] dy = ((Doubles) gradient).v;
            int ch = b.channels();
            int inner = b.inner();
            for (int k = 0; k < b.blocks(); k++) {
                int kc = k * ch;
                for (int o = 0; o < b.outer(); o++) {
                    int p = b.at(k, o);
                    if (inner == 1) {
                        for (int c = 0; c < ch; c++) {
                            double g = dy[p + c];
                            s1[kc + c] += g;
                            s2[kc + c] += g * (x[p + c] - mu[kc + c]);
                        }
                    } else {
                        for (int c = 0; c < ch; c++, p += inner) {
                            double m = mu[kc + c];
                            // four independent chains per sum: one chain waits on the adder's latency
                            double a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
                            int i = 0;
                            for (; i + 3 < inner; i += 4) {
                                double g0 = dy[p + i];
                                double g1 = dy[p + i + 1];
                                double g2 = dy[p + i + 2];
                                double g3 = dy[p + i + 3];
                                a0 += g0;
                                a1 += g1;
                                a2 += g2;
                                a3 += g3;
                                b0 += g0 * (x[p + i] - m);
                                b1 += g1 * (x[p + i + 1] - m);
                                b2 += g2 * (x[p + i + 2] - m);
                                b3 += g3 * (x[p + i + 3] - m);
                            }
                            for (; i < inner; i++) {
                                double g = dy[p + i];
                                a0 += g;
                                b0 += g * (x[p + i] - m);
                            }
                            s1[kc + c] += (a0 + a1) + (a2 + a3);
                            s2[kc + c] += (b0 + b1) + (b2 + b3);
                        }
                    }
                }
            }
        }

        @Override
        void inputGradient(FusedBnKernels gradient, Block b, double[] mu, double[] dyCoeff, double[] xCoeff,
                           double[] shift, FusedBnKernels out) {
            double[] x = v;
            double[] dy = ((Doubles) gradient).v;
            double[] dx = ((Doubles) out).v;
            int ch = b.channels();
            int inner = b.inner();
            double[] m = new double[ch];
            double[] a = new double[ch];
            double[] q = new double[ch];
            double[] s = new double[ch];
            for (int k = 0; k < b.blocks(); k++) {
                for (int c = 0; c < ch; c++) {
                    m[c] = mu[k * ch + c];
                    a[c] = dyCoeff[k * ch + c];
                    q[c] = xCoeff[k * ch + c];
                    s[c] = shift[k * ch + c];
                }
                for (int o = 0; o < b.outer(); o++) {
                    int p = b.at(k, o);
                    if (inner == 1) {
                        for (int c = 0; c < ch; c++) {
                            dx[p + c] = a[c] * dy[p + c] + q[c] * (x[p + c] - m[c]) + s[c];
                        }
                    } else {
                        for (int c = 0; c < ch; c++, p += inner) {
                            double mc = m[c];
                            double ac = a[c];
                            double qc = q[c];
                            double sc = s[c];
                            for (int i = p; i < p + inner; i++) {
                                dx[i] = ac * dy[i] + qc * (x[i] - mc) + sc;
                            }
                        }
                    }
                }
            }
        }
    }
}
