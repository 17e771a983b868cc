package org.syncbn.store;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.SpecException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileStoreTest {

    @TempDir
    Path tmp;

    private FileStore hadoop(Path dir) {
        return new HadoopFileStore(dir.toUri().toString(), new Configuration());
    }

    @Test
    void plainPathsAndFileUrisAreLocalOtherSchemesGoThroughHadoop() {
        assertInstanceOf(LocalFileStore.class, FileStore.at(tmp.toString(), Configuration::new));
        assertInstanceOf(LocalFileStore.class, FileStore.at(tmp.toUri().toString(), Configuration::new));
        assertEquals(tmp, ((LocalFileStore) FileStore.at(tmp.toUri().toString(), Configuration::new)).dir());
        assertInstanceOf(HadoopFileStore.class, FileStore.at("hdfs://nn:8020/runs/x", Configuration::new));
        assertThrows(SpecException.class, () -> FileStore.at(" ", Configuration::new));
    }

    @Test
    void localStoreWritesReadsListsAndReplaces() {
        roundTrip(new LocalFileStore(tmp.resolve("a")));
    }

    @Test
    void hadoopStoreWritesReadsListsAndReplaces() {
        roundTrip(hadoop(tmp.resolve("b")));
    }

    @Test
    void createNewCreatesOnlyWhenTheNameIsFreeOnBothStores() {
        for (FileStore store : List.of(new LocalFileStore(tmp.resolve("l")), hadoop(tmp.resolve("h")))) {
            assertTrue(store.createNew("LOCK", "first"), store.location());
            assertFalse(store.createNew("LOCK", "second"), store.location());
            assertEquals("first", store.readString("LOCK"));
            assertTrue(store.delete("LOCK"));
            assertTrue(store.createNew("LOCK", "third"));
            assertEquals("third", store.readString("LOCK"));
            assertEquals(List.of("LOCK"), store.list().stream().filter(n -> !n.startsWith(".")).toList());
        }
    }

    private void roundTrip(FileStore store) {
        assertFalse(store.exists("x.txt"));
        assertEquals(List.of(), store.list());
        store.writeString("x.txt", "one");
        store.writeString("x.txt", "two");
        assertEquals("two", store.readString("x.txt"));
        store.resolve("sub").writeString("y.txt", "why");
        assertEquals("why", store.resolve("sub").readString("y.txt"));
        assertEquals(List.of("sub", "x.txt"), store.list().stream().filter(n -> !n.startsWith(".")).toList());
        assertTrue(store.delete("x.txt"));
        assertFalse(store.exists("x.txt"));
        assertFalse(store.delete("x.txt"));
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryFiles() throws IOException {
        for (FileStore store : List.of(new LocalFileStore(tmp.resolve("l")), hadoop(tmp.resolve("h")))) {
            store.writeString("m.json", "old");
            assertThrows(UncheckedIOException.class, () -> store.write("m.json", f -> {
                Files.writeString(f, "half");
                throw new IOException("disk full");
            }));
            assertEquals("old", store.readString("m.json"));
            assertEquals(List.of("m.json"), store.list().stream().filter(n -> !n.endsWith(".crc")).toList(),
                    "only the target remains in " + store);
        }
    }

    @Test
    void metricsLogAppendsWholeLinesOnEitherStore() {
        for (FileStore store : List.of(new LocalFileStore(tmp.resolve("l")), hadoop(tmp.resolve("h")))) {
            MetricsLog log = new MetricsLog(store, "metrics.jsonl");
            log.append(java.util.Map.of("epoch", 1, "round", 2, "acc", 0.5));
            log.append(java.util.Map.of("epoch", 2, "round", 4, "acc", 0.75));
            log.append(java.util.Map.of("round", 4, "precise_bn", 0.8));
            assertEquals(3, log.read().size());
            log.keepEpochsUpTo(1);
            assertEquals(1, log.read().size());
            assertEquals(0.5, log.read().get(0).get("acc").asDouble());
        }
    }
}
