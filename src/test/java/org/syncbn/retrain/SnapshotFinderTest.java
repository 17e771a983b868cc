package org.syncbn.retrain;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.JobSpec;
import org.syncbn.config.SpecException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SnapshotFinderTest {
    private static final LocalDate DAY = LocalDate.of(2026, 11, 25);

    @TempDir
    Path tmp;

    private SnapshotFinder finder(String root, String pattern) {
        return new SnapshotFinder(new JobSpec.RetrainSpec("r", "", root, pattern, "", 0, 600), Configuration::new);
    }

    private void snapshot(String name) throws Exception {
        Files.createDirectories(tmp.resolve(name));
        Files.writeString(tmp.resolve(name).resolve("f"), "x");
    }

    @Test
    void withoutAPatternTheGreatestNamedSnapshotIsChosenSkippingInFlightCopies() throws Exception {
        snapshot("2026-11-23");
        snapshot("2026-11-24");
        snapshot("_2026-11-25");
        snapshot(".2026-11-26");
        assertEquals(tmp.resolve("2026-11-24").toString(), finder(tmp.toString(), "").find(DAY));
    }

    @Test
    void aDatedPatternNamesTheRunDatesSnapshot() throws Exception {
        snapshot("day=20261124");
        snapshot("day=20261125");
        assertEquals(tmp.resolve("day=20261125").toString(), finder(tmp.toString(), "day={yyyyMMdd}").find(DAY));
        SpecException missing = assertThrows(SpecException.class,
                () -> finder(tmp.toString(), "day={yyyyMMdd}").find(DAY.plusDays(1)));
        assertTrue(missing.getMessage().contains("day=20261126") && missing.getMessage().contains("not found"),
                missing.getMessage());
        SpecException bad = assertThrows(SpecException.class, () -> finder(tmp.toString(), "{qqqqqq}").find(DAY));
        assertTrue(bad.getMessage().contains("retrain.snapshotPattern"), bad.getMessage());
    }

    @Test
    void anEmptySnapshotOrRootOrNoRootIsBadInput() throws Exception {
        Files.createDirectories(tmp.resolve("root/2026-11-25"));
        SpecException empty = assertThrows(SpecException.class, () -> finder(tmp.resolve("root").toString(), "").find(DAY));
        assertTrue(empty.getMessage().contains("2026-11-25") && empty.getMessage().contains("empty"), empty.getMessage());
        SpecException none = assertThrows(SpecException.class, () -> finder(tmp.resolve("nothing").toString(), "").find(DAY));
        assertTrue(none.getMessage().contains("holds no snapshot"), none.getMessage());
        SpecException unset = assertThrows(SpecException.class, () -> finder("", "").find(DAY));
        assertTrue(unset.getMessage().contains("retrain.snapshotRoot"), unset.getMessage());
    }
}
