package org.syncbn.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.natives.NativeBuild;
import org.syncbn.worker.NativeThreads;

import java.util.Locale;

/**
 * Milliseconds per call of libnd4j's {@code conv2d} and {@code conv2d_bp} ops on the 3×3
 * convolutions of ResNet-20 (batch 32, float, one thread), on the native build this JVM loaded,
 * and their sum over the network's 19 3×3 convolutions: what a convolution layer that calls the
 * ops directly would pay. Usage: {@code ConvOpTiming [NCHW|NHWC]}.
 */
public final class ConvOpTiming {
    private ConvOpTiming() {
    }

    public static void main(String[] args) {
        NativeThreads.apply(1);
        boolean nhwc = args.length > 0 && args[0].equals("NHWC");
        System.out.println("NATIVE " + NativeBuild.current().describe());
        // in channels, out channels, input side, stride, how many of them ResNet-20 has
        int[][] shapes = {{1, 16, 28, 1, 1}, {16, 16, 28, 1, 6}, {16, 32, 28, 2, 1}, {32, 32, 14, 1, 5},
                {32, 64, 14, 2, 1}, {64, 64, 7, 1, 5}};
        int n = 32;
        double fwdTotal = 0, bwdTotal = 0;
        for (int[] s : shapes) {
            int ci = s[0], co = s[1], side = s[2], stride = s[3];
            int out = (side + stride - 1) / stride;
            INDArray x = nhwc ? Nd4j.rand(DataType.FLOAT, n, side, side, ci) : Nd4j.rand(DataType.FLOAT, n, ci, side, side);
            INDArray w = Nd4j.rand(DataType.FLOAT, co, ci, 3, 3);
            INDArray z = nhwc ? Nd4j.create(DataType.FLOAT, n, out, out, co) : Nd4j.create(DataType.FLOAT, n, co, out, out);
            INDArray dz = z.like().assign(0.5);
            int[] iargs = {3, 3, stride, stride, 0, 0, 1, 1, 1, nhwc ? 1 : 0, 1};
            DynamicCustomOp fwd = DynamicCustomOp.builder("conv2d").addInputs(x, w).addOutputs(z).addIntegerArguments(iargs).build();
            DynamicCustomOp bwd = DynamicCustomOp.builder("conv2d_bp").addInputs(x, w, dz)
                    .addOutputs(x.like(), w.like()).addIntegerArguments(iargs).build();
            for (int i = 0; i < 3; i++) {
                Nd4j.exec(fwd);
                Nd4j.exec(bwd);
            }
            int reps = 20;
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                Nd4j.exec(fwd);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                Nd4j.exec(bwd);
            }
            long t2 = System.nanoTime();
            double f = (t1 - t0) / 1e6 / reps, b = (t2 - t1) / 1e6 / reps;
            fwdTotal += f * s[4];
            bwdTotal += b * s[4];
            System.out.printf(Locale.ROOT, "| %d -> %d, %dx%d, stride %d | %.2f | %.2f |%n", ci, co, side, side, stride, f, b);
        }
        System.out.printf(Locale.ROOT, "TOTAL 19 3x3 convolutions per step: conv2d %.1f ms, conv2d_bp %.1f ms%n", fwdTotal, bwdTotal);
        System.exit(0);
    }
}
