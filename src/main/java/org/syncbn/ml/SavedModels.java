package org.syncbn.ml;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.syncbn.network.Network;
import org.syncbn.config.SpecException;
import org.syncbn.store.FileStore;
import org.syncbn.store.ModelExport;

import java.io.IOException;

/**
 * Opens a model for scoring whichever way it was saved: a DL4J model zip ('syncbn train' writes
 * model.zip), a training output directory holding one, or a saved {@link SyncBnClassificationModel}
 * directory (Spark ML metadata + data/model.zip).
 */
public final class SavedModels {
    private SavedModels() {
    }

    public static SyncBnClassificationModel load(SparkSession spark, String location) {
        Path path = new Path(location);
        FileSystem fs;
        boolean directory;
        try {
            fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(path)) {
                throw new SpecException("model not found: " + location);
            }
            directory = fs.getFileStatus(path).isDirectory();
            if (directory && fs.exists(new Path(path, "metadata"))) {
                return SyncBnClassificationModel.load(location);
            }
        } catch (IOException e) {
            throw new SpecException("cannot open model " + location + ": " + e.getMessage(), e);
        }
        String dir = directory ? location : parentOf(path);
        String name = directory ? ModelExport.MODEL_FILE : path.getName();
        FileStore store = FileStore.at(dir, spark.sparkContext()::hadoopConfiguration);
        if (!store.exists(name)) {
            throw new SpecException("model directory " + location + " holds neither " + ModelExport.MODEL_FILE
                    + " nor a saved Spark ML model (metadata/)");
        }
        Network net;
        try {
            net = store.read(name, local -> Network.read(local.toFile(), false));
        } catch (SpecException refused) {
            throw new SpecException("model file " + store.describe(name) + ": " + refused.getMessage(), refused);
        } catch (RuntimeException e) {
            throw new SpecException("model file " + store.describe(name) + " is not a DL4J MultiLayerNetwork zip: "
                    + e.getMessage(), e);
        }
        return new SyncBnClassificationModel(TrainedNetwork.of(net));
    }

    private static String parentOf(Path file) {
        Path parent = file.getParent();
        return parent == null || parent.toString().isEmpty() ? "." : parent.toString();
    }
}
