package org.syncbn.conv;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;

/**
 * oneDNN's per-call memory (blocked copies, scratchpads) as ND4J float arrays, allocated where
 * DL4J's own ConvolutionLayer puts its im2col buffer: in the workspace open at the time (a
 * layer's working memory during training, reused every iteration), else on the heap. Each buffer
 * starts on a 64-byte boundary (a cache line, what oneDNN's AVX-512 kernels load at once). The
 * arrays are held until the call that asked for them ends.
 */
final class ArrayScratch implements OneDnnConvolution.Scratch {
    private static final int ALIGN = 64;
    private final List<INDArray> held = new ArrayList<>();

    @Override
    public Pointer get(long bytes) {
        long floats = (bytes + Float.BYTES - 1) / Float.BYTES;
        INDArray buf = Nd4j.createUninitialized(DataType.FLOAT, floats + ALIGN / Float.BYTES);
        long address = buf.data().addressPointer().address();
        long skip = ((ALIGN - address % ALIGN) % ALIGN) / Float.BYTES;
        INDArray aligned = buf.get(NDArrayIndex.interval(skip, skip + floats));
        held.add(buf);
        held.add(aligned);
        return aligned.data().addressPointer();
    }
}
