package org.syncbn.conv;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;
import java.util.Map;

/**
 * Configuration of a 2D convolution layer that is DL4J's {@link ConvolutionLayer} in every field,
 * parameter and JSON property, but trains through libnd4j's {@code conv2d}/{@code conv2d_bp} ops
 * ({@link FastConvolutionLayer}), which run oneDNN on the oneDNN native builds. DL4J 1.0.0-M2's own
 * layer never reaches those ops: its oneDNN helper is switched off by a failing check (see
 * {@link ConvRoute}), so it convolves with an im2col into a permuted buffer that costs most of a
 * CNN's training time.
 *
 * <p>Build one from a standard layer with {@link FastConvolutions}; an exported model converts back.
 */
public class FastConvolution extends ConvolutionLayer {

    /** For JSON deserialisation and {@link FastConvolutions}. */
    public FastConvolution() {
        super();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        LayerValidation.assertNInNOutSet("FastConvolution", getLayerName(), layerIndex, getNIn(), getNOut());
        FastConvolutionLayer ret = new FastConvolutionLayer(conf, networkDataType);
        ret.setListeners(trainingListeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    @Override
    public FastConvolution clone() {
        return (FastConvolution) super.clone();
    }

    /** Lombok's equals in the parent asks this: a standard layer never equals a fast one. */
    @Override
    protected boolean canEqual(Object other) {
        return other instanceof FastConvolution;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FastConvolution && super.equals(o);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + FastConvolution.class.hashCode();
    }
}
