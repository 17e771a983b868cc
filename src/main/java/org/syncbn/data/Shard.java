package org.syncbn.data;

import java.io.Serializable;

/** One worker's share of a data set: its rank and its examples in local-position order. */
public record Shard(int rank, Examples examples) implements Serializable {}
