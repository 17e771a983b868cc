package org.syncbn.collective;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RefusalLogTest {

    @Test
    void aFloodCostsOneLinePerKindPerIntervalAndTheNextLineCountsWhatWasLeftOut() {
        List<String> lines = new ArrayList<>();
        AtomicLong now = new AtomicLong();
        RefusalLog log = new RefusalLog("rank 0", lines::add, 10_000, now::get);
        for (int i = 0; i < 1000; i++) {
            log.refused("handshake timeout", "10.0.0.1:" + i, "idle");
            now.addAndGet(1);
        }
        log.refused("authentication", "10.0.0.2:1", "wrong secret");
        assertEquals(2, lines.size(), String.valueOf(lines));
        now.addAndGet(10_000);
        log.refused("handshake timeout", "10.0.0.1:5", "idle");
        assertEquals(3, lines.size());
        assertTrue(lines.get(2).contains("and 999 more of this kind"), lines.get(2));
        assertEquals(1001, log.count("handshake timeout"));
        assertEquals(1002, log.total());
        assertTrue(log.summary().startsWith(" (refused 1002 connections: 1001 handshake timeout"), log.summary());
    }
}
