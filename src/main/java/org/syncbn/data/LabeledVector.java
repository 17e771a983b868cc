package org.syncbn.data;

import java.io.Serializable;

/** One example read from a table: its feature values and its class index. */
public record LabeledVector(double[] features, int label) implements Serializable {}
