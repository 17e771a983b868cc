package org.syncbn.data;

import org.syncbn.config.JobSpec;

import java.util.LinkedHashMap;
import java.util.Map;

/** Training and test sets from four IDX files (Fashion-MNIST layout) in one directory or URI. */
public record IdxDataSource(JobSpec.DataSpec spec) implements DataSource {

    @Override
    public Examples train() {
        return new ImageExamples(IdxReader.read(spec.dir(), spec.trainImages(), spec.trainLabels(),
                spec.numClasses()), spec.numClasses());
    }

    @Override
    public Examples test() {
        return new ImageExamples(IdxReader.read(spec.dir(), spec.testImages(), spec.testLabels(),
                spec.numClasses()), spec.numClasses());
    }

    @Override
    public Map<String, String> fingerprint() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : new String[] {spec.trainImages(), spec.trainLabels(), spec.testImages(), spec.testLabels()}) {
            out.put(name, DataFiles.sha256(spec.dir(), name));
        }
        return out;
    }
}
