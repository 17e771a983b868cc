package org.syncbn.conv;

import org.bytedeco.javacpp.FloatPointer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Native code gets an ND4J array's own memory exactly when its elements lie densely in c order
 * from the first one: dense arrays and offset views (a row range, a layer's slice of the flat
 * gradient) go through uncopied, read and written at the right place; permuted and strided
 * views and double arrays are copied first.
 */
class PlainArraysTest {

    private static float[] readThroughAddress(INDArray a) {
        FloatPointer p = new FloatPointer(PlainArrays.address(a)).capacity(a.length());
        float[] out = new float[(int) a.length()];
        p.get(out);
        return out;
    }

    @Test
    void denseArraysAndOffsetViewsGoThroughUncopiedAtTheirFirstElement() {
        INDArray base = Nd4j.arange(60).castTo(DataType.FLOAT).reshape('c', 3, 4, 5);
        INDArray rows = base.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all(), NDArrayIndex.all());
        for (INDArray a : new INDArray[] {base, rows}) {
            assertTrue(PlainArrays.isPlain(a));
            assertSame(a, PlainArrays.plain(a));
            float[] want = a.dup('c').data().asFloat();
            float[] got = readThroughAddress(a);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i]);
            }
        }
        // writing through the view's address changes the view's elements, nothing before it
        new FloatPointer(PlainArrays.address(rows)).put(0, -1f);
        assertEquals(-1f, base.getFloat(1, 0, 0));
        assertEquals(19f, base.getFloat(0, 3, 4));
    }

    @Test
    void permutedStridedAndDoubleArraysAreCopiedToDenseFloat() {
        INDArray base = Nd4j.arange(60).castTo(DataType.FLOAT).reshape('c', 3, 4, 5);
        INDArray permuted = base.permute(0, 2, 1);
        INDArray strided = base.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 4), NDArrayIndex.all());
        INDArray fOrder = base.dup('f');
        INDArray dbl = base.castTo(DataType.DOUBLE);
        for (INDArray a : new INDArray[] {permuted, strided, fOrder, dbl}) {
            assertFalse(PlainArrays.isPlain(a));
            assertThrows(IllegalArgumentException.class, () -> PlainArrays.address(a));
            INDArray p = PlainArrays.plain(a);
            assertNotSame(a, p);
            assertTrue(PlainArrays.isPlain(p));
            assertEquals(a.castTo(DataType.FLOAT), p);
        }
    }

    @Test
    void aConvolutionLayersWeightAndBiasGradientViewsArePlainSlicesOfTheFlatGradient() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(5).build())
                .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).build())
                .setInputType(InputType.convolutional(8, 8, 2)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(FastConvolutions.apply(conf));
        net.init();
        net.initGradientsView();
        INDArray flat = net.getFlattenedGradients();
        INDArray layerView = net.getLayer(1).getGradientsViewArray();
        Map<String, INDArray> views = ConvolutionParamInitializer.getInstance()
                .getGradientsFromFlattened(net.getLayer(1).conf(), layerView);
        long before = net.getLayer(0).numParams();
        long base = flat.data().addressPointer().address();
        INDArray w = views.get(ConvolutionParamInitializer.WEIGHT_KEY);
        INDArray b = views.get(ConvolutionParamInitializer.BIAS_KEY);
        assertTrue(PlainArrays.isPlain(w));
        assertTrue(PlainArrays.isPlain(b));
        // DL4J's layout: the layer's bias first, then its weights
        assertEquals(base + before * Float.BYTES, PlainArrays.address(b).address());
        assertEquals(base + (before + 5) * Float.BYTES, PlainArrays.address(w).address());
    }
}
