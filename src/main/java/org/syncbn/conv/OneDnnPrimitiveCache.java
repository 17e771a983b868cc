package org.syncbn.conv;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One layer's oneDNN primitives, by geometry and thread count, the most recently used
 * {@value #CAPACITY} kept: creating them JIT-compiles kernels (milliseconds each), while a layer
 * meets only a few geometries (the training batch, the smaller last batch of an epoch,
 * evaluation batches), and the thread count changes only when a worker is re-pinned.
 */
final class OneDnnPrimitiveCache implements AutoCloseable {
    static final int CAPACITY = 4;

    /** What the primitives are made for. */
    record Key(ConvGeometry geometry, int threads) {}

    private final Map<Key, OneDnnConvolution> byKey = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, OneDnnConvolution> eldest) {
            if (size() > CAPACITY) {
                eldest.getValue().close();
                return true;
            }
            return false;
        }
    };

    /** The primitives for {@code g} run with {@code threads} threads, made on first use. */
    OneDnnConvolution get(ConvGeometry g, int threads) {
        Key key = new Key(g, threads);
        OneDnnConvolution conv = byKey.get(key);
        if (conv == null) {
            conv = new OneDnnConvolution(g, threads, OneDnnLibrary.engine());
            byKey.put(key, conv);
        }
        return conv;
    }

    int size() {
        return byKey.size();
    }

    @Override
    public void close() {
        byKey.values().forEach(OneDnnConvolution::close);
        byKey.clear();
    }
}
