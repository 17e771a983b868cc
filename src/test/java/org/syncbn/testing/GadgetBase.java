package org.syncbn.testing;

/**
 * {@link Gadget}'s superclass, not Serializable: deserialising a Gadget would run this no-arg
 * constructor, so it counts in {@link Gadget#RUNS}.
 */
public class GadgetBase {
    public GadgetBase() {
        Gadget.RUNS.incrementAndGet();
    }
}
