package org.syncbn.conv;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.natives.OpenMpThreads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * oneDNN's primitives run with the thread count they were made for, whatever the calling thread
 * had set before (OpenMP's count is per thread, and a primitive made for more threads than it runs
 * on oversubscribes the cores); a layer's cache keeps one set of primitives per geometry and thread
 * count, the most recent {@value OneDnnPrimitiveCache#CAPACITY}.
 */
class OneDnnThreadsTest {
    private static ConvGeometry geometry(int batch) {
        return new ConvGeometry(batch, 3, 4, new ConvGeometry.Hw(6, 6), new ConvGeometry.Hw(6, 6),
                new ConvGeometry.Hw(3, 3), new ConvGeometry.Hw(1, 1), new ConvGeometry.Hw(1, 1),
                new ConvGeometry.Hw(1, 1), new ConvGeometry.Hw(1, 1), CNN2DFormat.NCHW, false);
    }

    @Test
    void primitivesRunWithTheirOwnThreadCountOnTheCallingThread() {
        assertTrue(OneDnnLibrary.available(), OneDnnLibrary.describe());
        ConvGeometry g = geometry(2);
        INDArray x = Nd4j.rand(DataType.FLOAT, g.inputShape());
        INDArray w = Nd4j.rand(DataType.FLOAT, g.weightShape());
        INDArray z = Nd4j.create(DataType.FLOAT, g.outputShape());
        int before = OpenMpThreads.ofCallingThread();
        try {
            for (int threads : new int[] {1, 2}) {
                try (OneDnnConvolution conv = new OneDnnConvolution(g, threads, OneDnnLibrary.engine())) {
                    OpenMpThreads.pinCallingThread(3);
                    conv.forward(PlainArrays.address(x), PlainArrays.address(w), null, PlainArrays.address(z), new ArrayScratch());
                    assertEquals(threads, OpenMpThreads.ofCallingThread());
                }
            }
        } finally {
            OpenMpThreads.pinCallingThread(before);
        }
    }

    @Test
    void theCacheKeepsPrimitivesPerGeometryAndThreadCountTheMostRecentFour() {
        try (OneDnnPrimitiveCache cache = new OneDnnPrimitiveCache()) {
            OneDnnConvolution a = cache.get(geometry(8), 1);
            assertSame(a, cache.get(geometry(8), 1));
            assertNotSame(a, cache.get(geometry(8), 2));
            assertNotSame(a, cache.get(geometry(3), 1));
            assertEquals(3, cache.size());
            cache.get(geometry(5), 1);
            cache.get(geometry(8), 1);   // a is the most recently used again
            cache.get(geometry(6), 1);   // evicts the least recently used: (8, 2 threads)
            assertEquals(OneDnnPrimitiveCache.CAPACITY, cache.size());
            assertSame(a, cache.get(geometry(8), 1));
        }
    }
}
