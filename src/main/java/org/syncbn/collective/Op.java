package org.syncbn.collective;

/**
 * The operations members exchange, with the element type they carry; the code travels in every
 * frame so diverging members (another operation, or the same one on another type) are caught.
 */
enum Op {
    ALL_GATHER("allGather", 1, ElementType.F64, false),
    ALL_REDUCE_SUM("allReduceSum", 2, ElementType.F64, true),
    ALL_GATHER_F32("allGather(float[])", 3, ElementType.F32, false),
    ALL_REDUCE_SUM_F32("allReduceSum(float[])", 4, ElementType.F32, true);

    final String label;
    final int code;
    final ElementType type;
    final boolean reduces;

    Op(String label, int code, ElementType type, boolean reduces) {
        this.label = label;
        this.code = code;
        this.type = type;
        this.reduces = reduces;
    }

    static Op ofCode(int code) {
        for (Op op : values()) {
            if (op.code == code) {
                return op;
            }
        }
        return null;
    }

    static Op gather(ElementType type) {
        return type == ElementType.F64 ? ALL_GATHER : ALL_GATHER_F32;
    }

    static Op reduce(ElementType type) {
        return type == ElementType.F64 ? ALL_REDUCE_SUM : ALL_REDUCE_SUM_F32;
    }

    @Override
    public String toString() {
        return label;
    }
}
