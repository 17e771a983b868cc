package org.syncbn.ml;

import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLWriter;
import org.syncbn.store.FileStore;
import org.syncbn.store.ModelExport;
import scala.Option;

/**
 * Saves a {@link SyncBnClassificationModel}: Spark ML's metadata (class, uid, params) as every
 * MLlib model has it, and the network as {@code data/model.zip} (standard DL4J format, written
 * atomically through {@link FileStore}, so a local path or any Hadoop URI works).
 */
final class SyncBnModelWriter extends MLWriter {
    static final String DATA_DIR = "data";
    private final SyncBnClassificationModel model;

    SyncBnModelWriter(SyncBnClassificationModel model) {
        this.model = model;
    }

    @Override
    public void saveImpl(String path) {
        DefaultParamsWriter$.MODULE$.saveMetadata(model, path, sparkSession().sparkContext(), Option.empty(),
                Option.empty());
        FileStore data = FileStore.at(path, sparkSession().sparkContext()::hadoopConfiguration).resolve(DATA_DIR);
        ModelExport.write(data, model.network().network());
    }
}
