package org.syncbn.ml;

import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.MLReader;
import org.syncbn.config.SpecException;
import org.syncbn.network.Network;
import org.syncbn.store.FileStore;
import org.syncbn.store.ModelExport;
import scala.Option;

/** Loads what {@link SyncBnModelWriter} saved: the params from the metadata, the network from data/model.zip. */
final class SyncBnModelReader extends MLReader<SyncBnClassificationModel> {

    @Override
    public SyncBnClassificationModel load(String path) {
        DefaultParamsReader.Metadata metadata = DefaultParamsReader$.MODULE$.loadMetadata(path,
                sparkSession().sparkContext(), SyncBnClassificationModel.class.getName());
        FileStore data = FileStore.at(path, sparkSession().sparkContext()::hadoopConfiguration)
                .resolve(SyncBnModelWriter.DATA_DIR);
        Network net;
        try {
            net = data.read(ModelExport.MODEL_FILE, local -> Network.read(local.toFile(), false));
        } catch (SpecException refused) {
            throw new SpecException("model file " + data.describe(ModelExport.MODEL_FILE) + ": " + refused.getMessage(),
                    refused);
        }
        SyncBnClassificationModel model = new SyncBnClassificationModel(metadata.uid(), TrainedNetwork.of(net));
        metadata.getAndSetParams(model, Option.empty());
        return model;
    }
}
