package org.syncbn.natives;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Whether an ND4J array's elements lie in c order from its first element on, so native memory
 * can be read or handed over in one piece from {@code data().addressPointer()} (an ND4J view's
 * buffer starts at the view's offset): stride[i] = ∏_{j>i} shape[j] for every dimension longer than 1.
 */
public final class DenseLayout {
    private DenseLayout() {
    }

    /** True for a dense array and for views such as a layer's slice of a flattened vector. */
    public static boolean isDenseC(INDArray a) {
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }
}
