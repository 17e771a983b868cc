package org.syncbn.collective;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** The {@link Collective} contract for W threads of one JVM. */
class InProcessCollectiveTest extends CollectiveContractTest {
    @Override
    List<? extends Collective> connect(int size, Duration timeout) {
        return InProcessCollective.create(size, timeout);
    }

    @Test
    void createRejectsNoMembersAndNonPositiveTimeouts() {
        assertThrows(IllegalArgumentException.class, () -> InProcessCollective.create(0, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> InProcessCollective.create(2, Duration.ZERO));
    }
}
