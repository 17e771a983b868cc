package org.syncbn.data;

import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Training and test sets from four IDX files (Fashion-MNIST layout) in one directory or URI; their
 * images are [1, rows, cols], and a given {@code data.imageShape} must say the same.
 */
public record IdxDataSource(JobSpec.DataSpec spec) implements DataSource {

    @Override
    public Examples train() {
        return examples(spec.trainImages(), spec.trainLabels());
    }

    @Override
    public Examples test() {
        return examples(spec.testImages(), spec.testLabels());
    }

    private Examples examples(String images, String labels) {
        LabeledImages read = IdxReader.read(spec.dir(), images, labels, spec.numClasses());
        Optional<ImageShape> given = ImageShape.of(spec);
        if (given.isPresent() && !given.get().equals(read.shape())) {
            throw new SpecException("images file " + DataFiles.oneLine(DataFiles.resolve(spec.dir(), images))
                    + " holds " + read.rows() + "x" + read.cols() + " greyscale images, " + read.shape().toList()
                    + ", but data.imageShape = " + spec.imageShape() + ": expected [] or "
                    + read.shape().toList());
        }
        return new ImageExamples(read, spec.numClasses());
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
