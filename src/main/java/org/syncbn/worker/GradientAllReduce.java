package org.syncbn.worker;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.syncbn.collective.Collective;
import org.syncbn.natives.DenseLayout;
import org.syncbn.network.ParamLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * train.sync = gradients: before every optimizer step, the gradient of the global batch on every
 * worker. DL4J's backward pass leaves in the gradient view the sums over the local batch b_k; one
 * all-reduce of (those sums, b_k) in the network's own precision gives S = Σ_k sums_k and B = Σ_k b_k
 * on every worker, bitwise; each then writes S / B into its view, which is exactly what DL4J's
 * updater makes of one batch of B (it divides the same entries by the batch size; its own division is
 * switched off), so the updater and the step are identical everywhere. BN running statistics are not
 * gradients (DL4J applies them as old − new, undivided): they stay as each worker computed them
 * (identical under sync BN). A worker without examples contributes zeros and b_k = 0 and takes the
 * same step ({@link #sitOut}).
 */
final class GradientAllReduce extends BaseTrainingListener {
    private final Collective all;
    private final List<long[]> ranges;   // [from, to) of the entries DL4J divides by the batch size
    private final long length;
    private long localBatch;

    GradientAllReduce(Collective all, ParamLayout layout) {
        this.all = all;
        this.ranges = dividedRanges(layout);
        long n = 0;
        for (long[] r : ranges) {
            n += r[1] - r[0];
        }
        this.length = n;
    }

    /** The examples of the step about to run on this worker. */
    void beforeStep(long examples) {
        this.localBatch = examples;
    }

    @Override
    public void onGradientCalculation(Model model) {
        sumAndDivide(model.gradient().gradient(), localBatch);
    }

    /**
     * A step without examples: the BN collectives have been joined ({@code StatisticsExchange.sitOutStep}
     * already applied the running statistics), so every other entry of the view is zero before the sum.
     */
    void sitOut(INDArray gradientView) {
        gradientView.assign(0);
        sumAndDivide(gradientView, 0);
    }

    /**
     * Gathers the divided ranges of the view into one array (+ the batch size), sums it over the
     * mesh and writes S / B back. The view is the network's flattened gradient (dense, c order), so
     * its native memory is read and written in bulk from its first element: no ND4J op per range
     * (each costs a native call and an array), which took as long as the all-reduce itself for the
     * MLP (1-2 ms a step, measured). The division is the same IEEE division, element by element, as
     * the scalar op of DL4J's updater (divideByMinibatch), so the result is bitwise unchanged.
     */
    private void sumAndDivide(INDArray view, long examples) {
        if (!DenseLayout.isDenseC(view)) {
            throw new IllegalStateException("the gradient view is not a dense c-order vector: " + view.shapeInfoToString());
        }
        int n = Math.toIntExact(length);
        // a new array every step: an in-process collective's peers may still read this one after we return
        if (view.dataType() == DataType.FLOAT) {
            FloatPointer at = new FloatPointer(view.data().addressPointer());
            float[] floats = new float[n + 1];
            eachRange((from, k, len) -> at.position(from).get(floats, k, len));
            floats[n] = examples;
            float[] sum = all.allReduceSum(floats);
            float batch = sum[n];
            for (int i = 0; i < n; i++) {
                sum[i] /= batch;
            }
            eachRange((from, k, len) -> at.position(from).put(sum, k, len));
        } else if (view.dataType() == DataType.DOUBLE) {
            DoublePointer at = new DoublePointer(view.data().addressPointer());
            double[] doubles = new double[n + 1];
            eachRange((from, k, len) -> at.position(from).get(doubles, k, len));
            doubles[n] = examples;
            double[] sum = all.allReduceSum(doubles);
            double batch = sum[n];
            for (int i = 0; i < n; i++) {
                sum[i] /= batch;
            }
            eachRange((from, k, len) -> at.position(from).put(sum, k, len));
        } else {
            throw new IllegalStateException("gradient all-reduce takes float or double gradients, got " + view.dataType());
        }
    }

    /** A copy of one divided range: view entries [from, from + len) to or from array entries [k, k + len). */
    private interface RangeCopy {
        void copy(long from, int k, int len);
    }

    /** The divided ranges in order, packed one after another into the array. */
    private void eachRange(RangeCopy copy) {
        int k = 0;
        for (long[] r : ranges) {
            int len = (int) (r[1] - r[0]);
            copy.copy(r[0], k, len);
            k += len;
        }
    }

    /** Every entry but the BN running statistics, as maximal runs. */
    private static List<long[]> dividedRanges(ParamLayout layout) {
        boolean[] stat = new boolean[Math.toIntExact(layout.length())];
        for (ParamLayout.BnStatsSlot s : layout.bnStats()) {
            java.util.Arrays.fill(stat, s.meanOffset(), s.meanOffset() + s.channels(), true);
            java.util.Arrays.fill(stat, s.varOffset(), s.varOffset() + s.channels(), true);
        }
        List<long[]> out = new ArrayList<>();
        int i = 0;
        while (i < stat.length) {
            if (stat[i]) {
                i++;
                continue;
            }
            int from = i;
            while (i < stat.length && !stat[i]) {
                i++;
            }
            out.add(new long[] {from, i});
        }
        return out;
    }
}
