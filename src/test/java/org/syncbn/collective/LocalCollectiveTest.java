package org.syncbn.collective;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LocalCollectiveTest {
    @Test
    void returnsCopiesOfTheInputAsRankZeroOfOne() {
        Collective c = new LocalCollective();
        double[] x = {1, 2};
        double[][] all = c.allGather(x);
        double[] sum = c.allReduceSum(x);
        assertEquals(0, c.rank());
        assertEquals(1, c.size());
        assertArrayEquals(x, all[0]);
        assertArrayEquals(x, sum);
        assertNotSame(x, all[0]);
        assertNotSame(x, sum);
        assertSame(c, c.group(1));
        assertThrows(IllegalArgumentException.class, () -> c.group(2));
    }

    @Test
    void floatOperationsReturnCopiesToo() {
        Collective c = new LocalCollective();
        float[] x = {1.5f, -2};
        assertArrayEquals(x, c.allGather(x)[0]);
        assertArrayEquals(x, c.allReduceSum(x));
        assertNotSame(x, c.allReduceSum(x));
        c.close();
        assertThrows(CollectiveException.class, () -> c.allReduceSum(new float[1]));
    }

    @Test
    void operationAfterCloseThrows() {
        Collective c = new LocalCollective();
        c.close();
        assertThrows(CollectiveException.class, () -> c.allReduceSum(new double[1]));
    }
}
