package org.syncbn.bn;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

/**
 * DL4J's running-statistics update for a BatchNorm layer, fed with given batch statistics:
 * {@code run ← decay·run + (1 − decay)·batch} for the mean and the (biased) variance, one batch
 * after another; the variance parameter is either the variance or log10(std), std = √var.
 */
public final class RunningStats {
    private RunningStats() {
    }

    /**
     * Sets the layer's running-statistics "gradients" to old − new (DL4J's convention: a no-op
     * updater subtracts them) for the batches with statistics {@code means}/{@code vars}.
     */
    static void applyAsGradient(Layer layer, List<double[]> means, List<double[]> vars, Gradient grad,
                                Map<String, INDArray> gradientViews) {
        BatchNormalization conf = (BatchNormalization) layer.conf().getLayer();
        double[][] oldNew = update(layer, means, vars);
        int c = oldNew[0].length;
        double[] dMean = new double[c];
        double[] dVar = new double[c];
        for (int j = 0; j < c; j++) {
            dMean[j] = oldNew[0][j] - oldNew[2][j];
            dVar[j] = oldNew[1][j] - oldNew[3][j];
        }
        INDArray meanView = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_MEAN);
        meanView.assign(Nd4j.createFromArray(dMean).castTo(meanView.dataType()).reshape(meanView.shape()));
        grad.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_MEAN, meanView);
        String varKey = varKey(conf);
        INDArray varView = gradientViews.get(varKey);
        varView.assign(Nd4j.createFromArray(dVar).castTo(varView.dataType()).reshape(varView.shape()));
        grad.setGradientFor(varKey, varView);
    }

    /** Applies the update directly to the layer's parameters (for a worker that sits a step out). */
    static void applyToParams(Layer layer, double[] mean, double[] var) {
        BatchNormalization conf = (BatchNormalization) layer.conf().getLayer();
        double[][] oldNew = update(layer, List.of(mean), List.of(var));
        INDArray meanParam = layer.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
        meanParam.assign(Nd4j.createFromArray(oldNew[2]).castTo(meanParam.dataType()).reshape(meanParam.shape()));
        INDArray varParam = layer.getParam(varKey(conf));
        varParam.assign(Nd4j.createFromArray(oldNew[3]).castTo(varParam.dataType()).reshape(varParam.shape()));
    }

    /** {old mean, old var-param, new mean, new var-param} after the given batches, in order. */
    private static double[][] update(Layer layer, List<double[]> means, List<double[]> vars) {
        BatchNormalization conf = (BatchNormalization) layer.conf().getLayer();
        double d = conf.getDecay();
        double[] oldMean = layer.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).toDoubleVector();
        double[] oldVarParam = layer.getParam(varKey(conf)).toDoubleVector();
        int c = oldMean.length;
        double[] mean = oldMean.clone();
        double[] var = new double[c];
        for (int j = 0; j < c; j++) {
            var[j] = conf.isUseLogStd() ? MomentMath.log10StdToVar(oldVarParam[j]) : oldVarParam[j];
        }
        for (int s = 0; s < means.size(); s++) {
            for (int j = 0; j < c; j++) {
                mean[j] = mean[j] - (1 - d) * (mean[j] - means.get(s)[j]);
                var[j] = d * var[j] + (1 - d) * vars.get(s)[j];
            }
        }
        double[] newVarParam = new double[c];
        for (int j = 0; j < c; j++) {
            newVarParam[j] = conf.isUseLogStd() ? MomentMath.varToLog10Std(var[j]) : var[j];
        }
        return new double[][] {oldMean, oldVarParam, mean, newVarParam};
    }

    private static String varKey(BatchNormalization conf) {
        return conf.isUseLogStd() ? BatchNormalizationParamInitializer.GLOBAL_LOG_STD
                : BatchNormalizationParamInitializer.GLOBAL_VAR;
    }
}
