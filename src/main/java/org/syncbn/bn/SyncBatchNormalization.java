package org.syncbn.bn;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of a synchronized BatchNorm layer: DL4J's {@link BatchNormalization} (same
 * parameters, same running-statistics semantics, same JSON fields) whose training-mode batch
 * statistics come from every member of a {@link org.syncbn.collective.Collective} (see
 * {@link SyncBatchNormalizationLayer} for the math), or from ghost batches of
 * {@link #getGhostBatchSize()} examples. Inference is exactly DL4J's; so are the running statistics unless
 * {@link #isPopulationStatistics()}.
 *
 * <p>Build one from a standard layer with {@link BnConversion}; the collective is attached at run
 * time with {@link SyncBatchNormalizationLayer#setCollective}.
 */
public class SyncBatchNormalization extends BatchNormalization {
    /** Examples per ghost (virtual) batch inside a worker; 0 = the worker's whole batch. */
    private int ghostBatchSize;
    /**
     * Whether a training step updates the running statistics once, with the population estimate of
     * all its normalisation batches together ({@link BnStatistics#populationAfter}), instead of DL4J's
     * one update per normalisation batch with its biased variance ({@link BnStatistics#runningAfter}).
     */
    private boolean populationStatistics;

    /** For JSON deserialisation and {@link BnConversion}; defaults as DL4J's builder. */
    public SyncBatchNormalization() {
        super();
        setUseLogStd(true);
    }

    public int getGhostBatchSize() {
        return ghostBatchSize;
    }

    public void setGhostBatchSize(int ghostBatchSize) {
        if (ghostBatchSize < 0) {
            throw new IllegalArgumentException("ghostBatchSize must be >= 0, got " + ghostBatchSize);
        }
        this.ghostBatchSize = ghostBatchSize;
    }

    public boolean isPopulationStatistics() {
        return populationStatistics;
    }

    public void setPopulationStatistics(boolean populationStatistics) {
        this.populationStatistics = populationStatistics;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        LayerValidation.assertNOutSet("SyncBatchNormalization", getLayerName(), layerIndex, getNOut());
        if (isLockGammaBeta()) {
            throw new IllegalArgumentException("SyncBatchNormalization layer " + layerIndex
                    + ": lockGammaBeta is not supported (gamma and beta must be learned parameters)");
        }
        SyncBatchNormalizationLayer ret = new SyncBatchNormalizationLayer(conf, networkDataType);
        ret.setListeners(trainingListeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        ParamInitializer init = initializer();
        Map<String, INDArray> paramTable = init.init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    @Override
    public SyncBatchNormalization clone() {
        return (SyncBatchNormalization) super.clone();
    }

    /** Lombok's equals in the parent asks this: a standard layer never equals a synchronized one. */
    @Override
    protected boolean canEqual(Object other) {
        return other instanceof SyncBatchNormalization;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SyncBatchNormalization s && s.ghostBatchSize == ghostBatchSize
                && s.populationStatistics == populationStatistics && super.equals(o);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), ghostBatchSize, populationStatistics);
    }
}
