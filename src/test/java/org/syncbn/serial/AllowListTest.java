package org.syncbn.serial;

import org.junit.jupiter.api.Test;
import org.syncbn.testing.Gadget;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllowListTest {
    private static final AllowList STRINGS = new AllowList("a test stream", Set.of("java.lang.String", "java.lang.Integer",
            "java.lang.Number"), 3, 100, 1000, 1 << 20);

    @Test
    void allowedValuesAndPrimitiveArraysReadBack() {
        assertEquals("hello", STRINGS.read(Gadget.serialized("hello")));
        assertEquals(42, STRINGS.read(Gadget.serialized(42)));
        assertArrayEquals(new double[] {1.5, -2}, (double[]) STRINGS.read(Gadget.serialized(new double[] {1.5, -2})));
        assertArrayEquals(new String[] {"a", "b"}, (String[]) STRINGS.read(Gadget.serialized(new String[] {"a", "b"})));
    }

    @Test
    void aClassOffTheListIsRefusedByNameAndNoneOfItsCodeRuns() {
        byte[] stream = Gadget.serialized(new Gadget("boom"));
        int before = Gadget.RUNS.get();
        RefusedStreamException e = assertThrows(RefusedStreamException.class, () -> STRINGS.read(stream));
        assertEquals("class " + Gadget.class.getName(), e.getMessage());
        assertEquals(before, Gadget.RUNS.get(), "the gadget's constructor chain, readObject or readResolve ran");
    }

    @Test
    void aGadgetInsideAContainerIsRefusedAtTheContainerBeforeItIsReached() {
        byte[] map = Gadget.serialized(new HashMap<>(Map.of("k", new Gadget("inside"))));
        byte[] array = Gadget.serialized(new Object[] {"a", new Gadget("in an array")});
        int before = Gadget.RUNS.get();
        RefusedStreamException e = assertThrows(RefusedStreamException.class, () -> STRINGS.read(map));
        assertEquals("class java.util.HashMap", e.getMessage());
        RefusedStreamException arr = assertThrows(RefusedStreamException.class, () -> STRINGS.read(array));
        assertEquals("class [Ljava.lang.Object;", arr.getMessage());
        assertEquals(before, Gadget.RUNS.get());
    }

    @Test
    void depthReferencesArrayLengthAndBytesAreBounded() {
        assertTrue(assertThrows(RefusedStreamException.class, () -> STRINGS.read(Gadget.serialized(new String[1001])))
                .getMessage().startsWith("an array of 1001 elements, more than 1000"));
        String[][][][] deep = {{{{"x"}}}};
        assertTrue(assertThrows(RefusedStreamException.class, () -> STRINGS.read(Gadget.serialized(deep)))
                .getMessage().startsWith("objects nested 4 deep, more than 3"));
        Integer[] many = new Integer[200];   // each one a new object (Strings are never shown to a filter)
        for (int i = 0; i < many.length; i++) {
            many[i] = 1000 + i;
        }
        assertTrue(assertThrows(RefusedStreamException.class, () -> STRINGS.read(Gadget.serialized(many)))
                .getMessage().contains("objects, more than 100"));
        AllowList small = new AllowList("a small stream", Set.of("java.lang.String"), 3, 100, 1000, 64);
        assertTrue(assertThrows(RefusedStreamException.class, () -> small.read(Gadget.serialized("x".repeat(100))))
                .getMessage().contains("more than the 64"));
    }

    @Test
    void trailingBytesAndGarbageAreRefused() {
        byte[] one = Gadget.serialized("a");
        byte[] two = new byte[one.length + 1];
        System.arraycopy(one, 0, two, 0, one.length);
        assertThrows(RefusedStreamException.class, () -> STRINGS.read(two));
        byte[] garbage = {(byte) 0xAC, (byte) 0xED, 0, 5, 1, 2, 3};
        assertThrows(RefusedStreamException.class, () -> STRINGS.read(garbage));
        assertTrue(AllowList.isJavaSerialized(garbage));
        assertFalse(AllowList.isJavaSerialized("{\"json\": 1}".getBytes()));
    }
}
