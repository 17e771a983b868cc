package org.syncbn.worker;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.syncbn.collective.Collective;
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

    private void sumAndDivide(INDArray view, long examples) {
        INDArray flat = view.reshape(view.length());
        int n = Math.toIntExact(length);
        if (flat.dataType() == DataType.FLOAT) {
            float[] buf = new float[n + 1];
            int at = 0;
            for (long[] r : ranges) {
                float[] part = flat.get(NDArrayIndex.interval(r[0], r[1])).toFloatVector();
                System.arraycopy(part, 0, buf, at, part.length);
                at += part.length;
            }
            buf[n] = examples;
            float[] sum = all.allReduceSum(buf);
            write(flat, sum, sum[n]);
        } else {
            double[] buf = new double[n + 1];
            int at = 0;
            for (long[] r : ranges) {
                double[] part = flat.get(NDArrayIndex.interval(r[0], r[1])).toDoubleVector();
                System.arraycopy(part, 0, buf, at, part.length);
                at += part.length;
            }
            buf[n] = examples;
            double[] sum = all.allReduceSum(buf);
            double[] values = new double[n];
            System.arraycopy(sum, 0, values, 0, n);
            writeDouble(flat, values, sum[n]);
        }
    }

    private void write(INDArray flat, float[] sum, float batch) {
        int at = 0;
        for (long[] r : ranges) {
            int len = (int) (r[1] - r[0]);
            float[] part = new float[len];
            System.arraycopy(sum, at, part, 0, len);
            // the same scalar division DL4J's updater applies to these entries (divideByMinibatch)
            flat.get(NDArrayIndex.interval(r[0], r[1])).assign(Nd4j.createFromArray(part)).divi(batch);
            at += len;
        }
    }

    private void writeDouble(INDArray flat, double[] sum, double batch) {
        int at = 0;
        for (long[] r : ranges) {
            int len = (int) (r[1] - r[0]);
            double[] part = new double[len];
            System.arraycopy(sum, at, part, 0, len);
            flat.get(NDArrayIndex.interval(r[0], r[1])).assign(Nd4j.createFromArray(part)).divi(batch);
            at += len;
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
