package org.syncbn.registry;

import org.syncbn.config.SpecException;
import org.syncbn.store.FileStore;

import java.util.List;
import java.util.regex.Pattern;

/** A model registry: one directory per model under a root on any {@link FileStore}. */
public final class ModelRegistry {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");

    private final FileStore root;

    public ModelRegistry(FileStore root) {
        this.root = root;
    }

    public FileStore root() {
        return root;
    }

    /** Names of the models present (directories with a CURRENT or a version), sorted. */
    public List<String> models() {
        return root.list().stream().filter(n -> NAME.matcher(n).matches())
                .filter(n -> {
                    RegisteredModel m = model(n);
                    return m.dir().exists(RegisteredModel.CURRENT) || !m.versions().isEmpty();
                }).toList();
    }

    public RegisteredModel model(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new SpecException("model name '" + name + "': expected letters, digits, '.', '_' or '-'"
                    + " (not starting with '.')");
        }
        return new RegisteredModel(name, root.resolve(name));
    }
}
