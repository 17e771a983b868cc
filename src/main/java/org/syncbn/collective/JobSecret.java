package org.syncbn.collective;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The per-job key every connection of the collectives authenticates with: 256 bits, made once by
 * the driver. It reaches the tasks inside the task payload (Java serialisation), which Spark
 * protects when {@code spark.authenticate} / {@code spark.network.crypto.enabled} are on; with
 * {@code spark.authenticate} on, {@link #derive} makes it from Spark's own secret on both sides, so
 * nothing secret travels at all.
 *
 * <p>The key never appears in {@link #toString} or in any message; equality compares in constant time.
 */
public final class JobSecret implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
    static final int BYTES = 32;
    private static final byte[] DERIVE_LABEL = "syncbn-spark collective secret v1".getBytes(StandardCharsets.US_ASCII);

    private final byte[] key;

    private JobSecret(byte[] key) {
        this.key = key;
    }

    /** 256 fresh bits from {@link SecureRandom}. */
    public static JobSecret random() {
        byte[] k = new byte[BYTES];
        new SecureRandom().nextBytes(k);
        return new JobSecret(k);
    }

    /**
     * The secret for a job whose Spark authenticates with {@code sparkAuthSecret}
     * ({@code spark.authenticate.secret}, or {@code SecurityManager.getSecretKey()} on an executor):
     * HMAC-SHA256 keyed by that secret over a fixed label, so the driver and every task derive the
     * same key independently, and the collectives' key is not Spark's own.
     */
    public static JobSecret derive(String sparkAuthSecret) {
        if (sparkAuthSecret == null || sparkAuthSecret.isEmpty()) {
            throw new IllegalArgumentException("cannot derive the collective secret from an empty Spark secret");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(sparkAuthSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return new JobSecret(mac.doFinal(DERIVE_LABEL));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** A new HMAC-SHA256 keyed by this secret (the handshake's proofs and key derivation). */
    Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JobSecret other && MessageDigest.isEqual(key, other.key);
    }

    /** A fingerprint through HMAC, so the hash code tells nothing about the key. */
    @Override
    public int hashCode() {
        byte[] f = newMac().doFinal("hashCode".getBytes(StandardCharsets.US_ASCII));
        return (f[0] & 0xFF) << 24 | (f[1] & 0xFF) << 16 | (f[2] & 0xFF) << 8 | (f[3] & 0xFF);
    }

    @Override
    public String toString() {
        return "JobSecret(redacted)";
    }

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        if (key == null || key.length != BYTES) {
            throw new InvalidObjectException("a JobSecret holds " + BYTES + " bytes");
        }
    }

    /** Serialisation hands out a copy, so a deserialised secret shares no array with anyone. */
    @Serial
    private Object readResolve() {
        return new JobSecret(Arrays.copyOf(key, BYTES));
    }
}
