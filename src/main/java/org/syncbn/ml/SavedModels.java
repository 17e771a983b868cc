package org.syncbn.ml;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.sql.SparkSession;
import org.syncbn.network.Network;
import org.syncbn.config.SpecException;
import org.syncbn.store.FileStore;
import org.syncbn.store.ModelExport;

import java.io.IOException;

/**
 * Opens a model for scoring whichever way it was saved: a DL4J model zip ('syncbn train' writes
 * model.zip), a training output directory holding one, a saved {@link SyncBnClassificationModel}
 * directory (Spark ML metadata + data/model.zip), or a saved Spark ML {@link PipelineModel} whose last
 * stage is one (what the README's Spark ML example saves).
 */
public final class SavedModels {
    static final String EXPECTED = "expected a model.zip, a training output directory, a saved"
            + " SyncBnClassificationModel or a saved PipelineModel whose last stage is one";

    private SavedModels() {
    }

    /**
     * A model ready to score tables.
     *
     * @param stage    the SyncBN model (the pipeline's last stage, when there is a pipeline)
     * @param pipeline the saved pipeline, or null: then the caller turns the table's columns into the
     *                 stage's features vector; a pipeline does that itself, from the table as it is
     */
    public record Loaded(SyncBnClassificationModel stage, PipelineModel pipeline) {
        public boolean isPipeline() {
            return pipeline != null;
        }
    }

    /** The SyncBN model at {@code location}; a saved pipeline is refused naming the path. */
    public static SyncBnClassificationModel load(SparkSession spark, String location) {
        Loaded loaded = open(spark, location);
        if (loaded.isPipeline()) {
            throw new SpecException("model " + location + " is a saved PipelineModel: expected a model.zip, a training"
                    + " output directory or a saved SyncBnClassificationModel");
        }
        return loaded.stage();
    }

    /**
     * Whatever is saved at {@code location}, opened for scoring.
     *
     * @throws SpecException one line naming the path and what was expected, when it is none of them
     */
    public static Loaded open(SparkSession spark, String location) {
        Path path = new Path(location);
        FileSystem fs;
        boolean directory;
        try {
            fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(path)) {
                throw new SpecException("model not found: " + location + " (" + EXPECTED + ")");
            }
            directory = fs.getFileStatus(path).isDirectory();
            if (directory && fs.exists(new Path(path, "metadata"))) {
                return openSparkMl(spark, location);
            }
        } catch (IOException e) {
            throw new SpecException("cannot open model " + location + ": " + e.getMessage(), e);
        }
        String dir = directory ? location : parentOf(path);
        String name = directory ? ModelExport.MODEL_FILE : path.getName();
        FileStore store = FileStore.at(dir, spark.sparkContext()::hadoopConfiguration);
        if (!store.exists(name)) {
            throw new SpecException("model directory " + location + " holds neither " + ModelExport.MODEL_FILE
                    + " nor a saved Spark ML model (metadata/): " + EXPECTED);
        }
        Network net;
        try {
            net = store.read(name, local -> Network.read(local.toFile(), false));
        } catch (SpecException refused) {
            throw new SpecException("model file " + store.describe(name) + ": " + refused.getMessage(), refused);
        } catch (RuntimeException e) {
            throw new SpecException("model file " + store.describe(name) + " is not a DL4J model zip ("
                    + firstLine(e.getMessage()) + "): " + EXPECTED, e);
        }
        return new Loaded(new SyncBnClassificationModel(TrainedNetwork.of(net)), null);
    }

    /** A Spark ML directory: our own stage, or a pipeline ending in it; any other saved class is refused. */
    private static Loaded openSparkMl(SparkSession spark, String location) {
        String className;
        try {
            DefaultParamsReader.Metadata metadata = DefaultParamsReader$.MODULE$.loadMetadata(location,
                    spark.sparkContext(), "");
            className = metadata.className();
        } catch (RuntimeException e) {
            throw new SpecException("model " + location + ": unreadable Spark ML metadata (" + firstLine(e.getMessage())
                    + "): " + EXPECTED, e);
        }
        if (className.equals(SyncBnClassificationModel.class.getName())) {
            return new Loaded(SyncBnClassificationModel.load(location), null);
        }
        if (!className.equals(PipelineModel.class.getName())) {
            throw new SpecException("model " + location + " is a saved " + className + ": " + EXPECTED);
        }
        PipelineModel pipeline;
        try {
            pipeline = PipelineModel.load(location);
        } catch (RuntimeException e) {
            throw new SpecException("model " + location + ": cannot load the saved PipelineModel ("
                    + firstLine(e.getMessage()) + ")", e);
        }
        Transformer[] stages = pipeline.stages();
        if (stages.length == 0 || !(stages[stages.length - 1] instanceof SyncBnClassificationModel last)) {
            throw new SpecException("model " + location + " is a PipelineModel whose last stage is "
                    + (stages.length == 0 ? "missing" : stages[stages.length - 1].getClass().getName())
                    + ": expected a SyncBnClassificationModel");
        }
        return new Loaded(last, pipeline);
    }

    private static String firstLine(String message) {
        String m = String.valueOf(message).strip();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl).strip();
    }

    private static String parentOf(Path file) {
        Path parent = file.getParent();
        return parent == null || parent.toString().isEmpty() ? "." : parent.toString();
    }
}
