package org.syncbn.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A {@link FileStore} on the local file system: temp file in the same directory + atomic rename. */
public final class LocalFileStore implements FileStore {
    private final Path dir;

    public LocalFileStore(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public String location() {
        return dir.toString();
    }

    @Override
    public String describe(String name) {
        return dir.resolve(name).toString();
    }

    @Override
    public boolean exists(String name) {
        return Files.exists(dir.resolve(name));
    }

    @Override
    public void write(String name, LocalWriter writer) {
        AtomicFiles.write(dir.resolve(name), writer::writeTo);
    }

    @Override
    public boolean createNew(String name, String text) {
        Path target = dir.resolve(name);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            // complete content first, then a hard link: link creation fails atomically when the name
            // exists, and a reader never sees the file half-written
            tmp = Files.createTempFile(dir, "." + name + ".", ".tmp");
            Files.writeString(tmp, text, java.nio.charset.StandardCharsets.UTF_8);
            try {
                Files.createLink(target, tmp);
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
                if (e instanceof java.nio.file.FileAlreadyExistsException exists) {
                    throw exists;
                }
                // no hard links here (some network and FUSE file systems): an exclusive create is
                // still atomic, but a reader may briefly see the file empty
                Files.writeString(target, text, java.nio.charset.StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
            }
            return true;
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a hidden .tmp file never shadows the target
                }
            }
        }
    }

    @Override
    public <T> T read(String name, LocalReader<T> reader) {
        Path f = dir.resolve(name);
        try {
            return reader.readFrom(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean delete(String name) {
        try {
            return Files.deleteIfExists(dir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> list() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = new ArrayList<>(s.map(p -> p.getFileName().toString()).sorted().toList());
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public FileStore resolve(String name) {
        return new LocalFileStore(dir.resolve(name));
    }

    @Override
    public String toString() {
        return location();
    }
}
