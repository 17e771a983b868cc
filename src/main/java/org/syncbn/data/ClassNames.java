package org.syncbn.data;

import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The names of a model's classes 0 .. k-1, for people: {@code data.classNames} when given, else the
 * names of the data set the spec describes (Fashion-MNIST for idx data of 10 classes, CIFAR-10 for
 * cifar data of 10 classes), else the class indices.
 */
public record ClassNames(List<String> names) implements Serializable {
    /** Fashion-MNIST's label order (Xiao et al. 2017, the data set's README). */
    public static final List<String> FASHION_MNIST = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** CIFAR-10's label order (batches.meta.txt of the binary version). */
    public static final List<String> CIFAR_10 = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
            "horse", "ship", "truck");

    public ClassNames {
        names = List.copyOf(names);
    }

    /** The names of {@code data}'s numClasses classes. */
    public static ClassNames of(JobSpec.DataSpec data) {
        return of(data, data.numClasses(), "data.numClasses = " + data.numClasses());
    }

    /**
     * The names of the {@code classes} classes of a model scored with {@code data}'s description.
     *
     * @param what names where {@code classes} comes from, for the error (e.g. "the model has 3 classes")
     * @throws SpecException when data.classNames is given with another count
     */
    public static ClassNames of(JobSpec.DataSpec data, int classes, String what) {
        if (!data.classNames().isEmpty()) {
            if (data.classNames().size() != classes) {
                throw new SpecException("data.classNames has " + data.classNames().size() + " names, " + what
                        + ": expected " + classes + " names (class 0 first)");
            }
            return new ClassNames(data.classNames());
        }
        if (classes == 10 && data.format() == JobSpec.DataFormat.IDX) {
            return new ClassNames(FASHION_MNIST);
        }
        if (classes == 10 && data.format() == JobSpec.DataFormat.CIFAR) {
            return new ClassNames(CIFAR_10);
        }
        return indices(classes);
    }

    /** "0", "1", ..., k-1. */
    public static ClassNames indices(int classes) {
        List<String> names = new ArrayList<>(classes);
        for (int c = 0; c < classes; c++) {
            names.add(Integer.toString(c));
        }
        return new ClassNames(names);
    }

    public int size() {
        return names.size();
    }

    public String name(int c) {
        return names.get(c);
    }

    /** Whether these are only the indices (nothing to add beside a class number). */
    public boolean areIndices() {
        return names.equals(indices(names.size()).names());
    }
}
