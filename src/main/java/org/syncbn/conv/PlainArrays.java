package org.syncbn.conv;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.syncbn.natives.DenseLayout;

/**
 * The address of an ND4J float array, handed to native code without a copy when its elements
 * lie in c order from its first element on (a dense array, or a view such as a layer's slice of
 * the flattened gradient vector). An ND4J view's buffer starts at the view's offset, so
 * {@code data().addressPointer()} is the address of the view's first element.
 */
final class PlainArrays {
    private PlainArrays() {
    }

    /** Whether {@code a} is float and dense in c order: stride[i] = ∏_{j>i} shape[j] for every dimension longer than 1. */
    static boolean isPlain(INDArray a) {
        return a.dataType() == DataType.FLOAT && DenseLayout.isDenseC(a);
    }

    /** {@code a} itself when it is plain, else a dense c-order float copy. */
    static INDArray plain(INDArray a) {
        return isPlain(a) ? a : a.castTo(DataType.FLOAT).dup('c');
    }

    /** The address of the first element of the plain array {@code a}. */
    static Pointer address(INDArray a) {
        if (!isPlain(a)) {
            throw new IllegalArgumentException("not a dense c-order float array: shape "
                    + java.util.Arrays.toString(a.shape()) + " stride " + java.util.Arrays.toString(a.stride()));
        }
        return a.data().addressPointer();
    }
}
