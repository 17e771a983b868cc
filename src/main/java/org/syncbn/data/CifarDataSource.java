package org.syncbn.data;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CIFAR-10 / CIFAR-100 training and test sets from their binary files ({@link CifarFiles}): every
 * example a [3, 32, 32] image, its class the chosen label byte, one-hot over numClasses.
 */
public record CifarDataSource(CifarFiles files, int numClasses) implements DataSource {

    @Override
    public Examples train() {
        return new ImageExamples(CifarReader.read(files, files.edition().trainFiles(), numClasses), numClasses);
    }

    @Override
    public Examples test() {
        return new ImageExamples(CifarReader.read(files, files.edition().testFiles(), numClasses), numClasses);
    }

    @Override
    public Map<String, String> fingerprint() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : files.edition().trainFiles()) {
            out.put(name, DataFiles.sha256(files.dir(), name));
        }
        for (String name : files.edition().testFiles()) {
            out.put(name, DataFiles.sha256(files.dir(), name));
        }
        return out;
    }
}
