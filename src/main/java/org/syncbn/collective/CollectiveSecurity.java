package org.syncbn.collective;

import java.io.Serializable;
import java.util.Objects;

/**
 * How the job's own connections (driver rendezvous and worker mesh) are protected. Every
 * connection authenticates both ways under {@code secret} before anything else is read; after that
 * every frame is authenticated (AES-GCM tag over the whole frame, bound to direction and frame
 * number: no forgery, replay, reordering or dropping goes unnoticed), and with {@code encrypt}
 * also encrypted (AES-GCM over the payload). Without {@code encrypt} the payload (BN statistics,
 * gradients) is readable on the network but cannot be altered.
 */
public record CollectiveSecurity(JobSecret secret, boolean encrypt) implements Serializable {
    public CollectiveSecurity {
        Objects.requireNonNull(secret, "secret");
    }
}
