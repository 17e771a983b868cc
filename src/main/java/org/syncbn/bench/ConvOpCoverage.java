package org.syncbn.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.natives.NativeBuild;
import org.syncbn.worker.NativeThreads;

/**
 * Which implementation libnd4j's {@code conv2d} and {@code conv2d_bp} ops run in each layer
 * configuration, on the native build this JVM loaded. Run it with {@code DNNL_VERBOSE=1}: oneDNN
 * prints a {@code dnnl_verbose,exec,cpu,convolution} line for every primitive it executes, so a
 * configuration whose op printed none ran libnd4j's own (im2col + gemm) implementation. Prints
 * {@code CONFIG ...}, then {@code FWD_DONE} and {@code BWD_DONE} (with {@code FAILED <reason>}
 * when the op throws) after each op; {@code bench/onednn_coverage.sh} turns that into a table.
 */
public final class ConvOpCoverage {
    private ConvOpCoverage() {
    }

    public static void main(String[] args) {
        NativeThreads.apply(1);
        System.out.println("NATIVE " + NativeBuild.current().describe());
        for (String format : new String[] {"NCHW", "NHWC"}) {
            for (boolean same : new boolean[] {true, false}) {
                for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                    for (int dilation : new int[] {1, 2}) {
                        for (boolean bias : new boolean[] {false, true}) {
                            run(format.equals("NHWC"), same, dt, dilation, bias);
                        }
                    }
                }
            }
        }
        System.exit(0);
    }

    private static void run(boolean nhwc, boolean same, DataType dt, int dilation, boolean bias) {
        int n = 4, c = 8, oc = 16, hw = 12, k = 3;
        int pad = same ? 0 : dilation;
        int out = same ? hw : hw + 2 * pad - dilation * (k - 1);
        INDArray x = nhwc ? Nd4j.rand(dt, n, hw, hw, c) : Nd4j.rand(dt, n, c, hw, hw);
        INDArray w = Nd4j.rand(dt, oc, c, k, k);
        INDArray b = Nd4j.rand(dt, oc);
        INDArray z = nhwc ? Nd4j.create(dt, n, out, out, oc) : Nd4j.create(dt, n, oc, out, out);
        // kH, kW, sH, sW, pH, pW, dH, dW, same, NHWC, weights [oC, iC, kH, kW] (DL4J's layout)
        int[] iargs = {k, k, 1, 1, pad, pad, dilation, dilation, same ? 1 : 0, nhwc ? 1 : 0, 1};
        INDArray[] fwdIn = bias ? new INDArray[] {x, w, b} : new INDArray[] {x, w};
        INDArray[] bwdIn = bias ? new INDArray[] {x, w, b, z} : new INDArray[] {x, w, z};
        INDArray[] bwdOut = bias ? new INDArray[] {x.like(), w.like(), b.like()} : new INDArray[] {x.like(), w.like()};
        System.out.printf("CONFIG format=%s mode=%s dtype=%s dilation=%d bias=%s%n", nhwc ? "NHWC" : "NCHW",
                same ? "Same" : "Truncate", dt.name().toLowerCase(java.util.Locale.ROOT), dilation, bias);
        System.out.flush();
        exec("FWD_DONE", DynamicCustomOp.builder("conv2d").addInputs(fwdIn).addOutputs(z).addIntegerArguments(iargs).build());
        exec("BWD_DONE", DynamicCustomOp.builder("conv2d_bp").addInputs(bwdIn).addOutputs(bwdOut).addIntegerArguments(iargs).build());
    }

    private static void exec(String done, DynamicCustomOp op) {
        try {
            Nd4j.exec(op);
            System.out.println(done);
        } catch (RuntimeException e) {
            Throwable t = e;
            while (t.getCause() != null) {
                t = t.getCause();
            }
            String m = String.valueOf(t.getMessage());
            int at = m.indexOf("with message ");
            System.out.println(done + " FAILED " + (at >= 0 ? m.substring(at + 13) : m));
        }
        System.out.flush();
    }
}
