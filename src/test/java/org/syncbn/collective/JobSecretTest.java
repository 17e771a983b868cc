package org.syncbn.collective;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobSecretTest {

    @Test
    void randomSecretsDifferAndDerivedOnesAreTheSameOnEverySideForTheSameSparkSecret() {
        assertNotEquals(JobSecret.random(), JobSecret.random());
        assertEquals(JobSecret.derive("spark-secret-1"), JobSecret.derive("spark-secret-1"));
        assertEquals(JobSecret.derive("spark-secret-1").hashCode(), JobSecret.derive("spark-secret-1").hashCode());
        assertNotEquals(JobSecret.derive("spark-secret-1"), JobSecret.derive("spark-secret-2"));
        assertThrows(IllegalArgumentException.class, () -> JobSecret.derive(""));
    }

    @Test
    void theKeyAppearsInNoStringNorInTheSecuritySetting() throws Exception {
        JobSecret s = JobSecret.random();
        java.lang.reflect.Field f = JobSecret.class.getDeclaredField("key");
        f.setAccessible(true);
        byte[] key = (byte[]) f.get(s);
        CollectiveSecurity sec = new CollectiveSecurity(s, true);
        for (String text : new String[] {s.toString(), sec.toString()}) {
            assertFalse(text.contains(java.util.HexFormat.of().formatHex(key)), text);
            assertFalse(text.contains(java.util.Base64.getEncoder().encodeToString(key)), text);
            assertFalse(text.contains(new String(key, StandardCharsets.ISO_8859_1)), text);
            assertTrue(text.contains("redacted"), text);
        }
    }

    @Test
    void itTravelsInATaskPayloadWholeAndAForgedLengthIsRefused() throws Exception {
        CollectiveSecurity sec = new CollectiveSecurity(JobSecret.random(), false);
        CollectiveSecurity back = (CollectiveSecurity) roundTrip(sec);
        assertEquals(sec, back);
        assertEquals(sec.secret(), back.secret());

        byte[] bytes = serialize(JobSecret.random());
        // the serialised form ends with the 32-byte array; shorten its length field to 31
        byte[] forged = bytes.clone();
        int lengthAt = forged.length - JobSecret.BYTES - 4;
        assertEquals(JobSecret.BYTES, java.nio.ByteBuffer.wrap(forged, lengthAt, 4).getInt(), "layout as expected");
        java.nio.ByteBuffer.wrap(forged, lengthAt, 4).putInt(JobSecret.BYTES - 1);
        byte[] truncated = java.util.Arrays.copyOf(forged, forged.length - 1);
        assertThrows(java.io.InvalidObjectException.class, () -> deserialize(truncated));
    }

    private static Object roundTrip(Serializable o) throws IOException, ClassNotFoundException {
        return deserialize(serialize(o));
    }

    private static byte[] serialize(Serializable o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static Object deserialize(byte[] b) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
            return in.readObject();
        }
    }
}
