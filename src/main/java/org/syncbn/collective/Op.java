package org.syncbn.collective;

/** The operations members exchange; carried in every message so diverging members are caught. */
enum Op {
    ALL_GATHER("allGather", 1),
    ALL_REDUCE_SUM("allReduceSum", 2);

    final String label;
    final int code;

    Op(String label, int code) {
        this.label = label;
        this.code = code;
    }

    static Op ofCode(int code) {
        for (Op op : values()) {
            if (op.code == code) {
                return op;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return label;
    }
}
