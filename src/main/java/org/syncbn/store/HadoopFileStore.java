package org.syncbn.store;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A {@link FileStore} on a Hadoop FileSystem. A write goes to a hidden temporary file in the
 * target directory, which is then renamed over the target with
 * {@code FileContext.rename(.., OVERWRITE)}: atomic on HDFS and other file systems with atomic
 * rename. On object stores (s3a, gs, abfs without HNS) rename is a server-side copy of one
 * object; each object still appears whole (object PUT/COPY is atomic), so readers never see a
 * partial file, but there is a moment between delete and copy where the target is absent.
 */
public final class HadoopFileStore implements FileStore {
    private final String location;
    private final org.apache.hadoop.fs.Path dir;
    private final Configuration conf;

    public HadoopFileStore(String location, Configuration conf) {
        this.location = location;
        this.dir = new org.apache.hadoop.fs.Path(location);
        this.conf = conf;
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public String describe(String name) {
        return new org.apache.hadoop.fs.Path(dir, name).toString();
    }

    private FileSystem fs() throws IOException {
        return dir.getFileSystem(conf);
    }

    @Override
    public boolean exists(String name) {
        try {
            return fs().exists(new org.apache.hadoop.fs.Path(dir, name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + describe(name) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void write(String name, LocalWriter writer) {
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir, name);
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(dir, "." + name + "." + UUID.randomUUID() + ".tmp");
        Path local = null;
        try {
            local = Files.createTempFile("syncbn-store-", ".tmp");
            writer.writeTo(local);
            FileSystem fs = fs();
            fs.mkdirs(dir);
            fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), tmp);
            renameOver(fs, tmp, target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(local);
            try {
                fs().delete(tmp, false);
            } catch (IOException ignored) {
                // a leftover hidden .tmp object never shadows the target
            }
        }
    }

    private void renameOver(FileSystem fs, org.apache.hadoop.fs.Path tmp, org.apache.hadoop.fs.Path target)
            throws IOException {
        FileContext fc;
        try {
            fc = FileContext.getFileContext(target.toUri(), conf);
        } catch (UnsupportedFileSystemException e) {
            fc = null;   // no AbstractFileSystem binding for this scheme: the FileSystem API below
        }
        if (fc != null) {
            fc.rename(tmp, target, Options.Rename.OVERWRITE);
            return;
        }
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) {
            throw new IOException("rename " + tmp + " -> " + target + " failed");
        }
    }

    @Override
    public boolean createNew(String name, String text) {
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir, name);
        try {
            FileSystem fs = fs();
            fs.mkdirs(dir);
            // create(overwrite=false) is an atomic create-if-absent on HDFS (the NameNode decides)
            try (org.apache.hadoop.fs.FSDataOutputStream out = fs.create(target, false)) {
                out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            if (exists(name)) {
                return false;   // some file systems report the clash as a plain IOException
            }
            throw new UncheckedIOException("cannot create " + target + ": " + e.getMessage(), e);
        }
    }

    @Override
    public <T> T read(String name, LocalReader<T> reader) {
        org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(dir, name);
        Path local = null;
        try {
            local = Files.createTempFile("syncbn-store-", ".tmp");
            Files.delete(local);
            fs().copyToLocalFile(false, src, new org.apache.hadoop.fs.Path(local.toUri()), true);
            return reader.readFrom(local);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + src + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(local);
        }
    }

    @Override
    public boolean delete(String name) {
        try {
            return fs().delete(new org.apache.hadoop.fs.Path(dir, name), false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + describe(name) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> list() {
        try {
            FileSystem fs = fs();
            if (!fs.exists(dir)) {
                return List.of();
            }
            List<String> names = new ArrayList<>();
            for (FileStatus s : fs.listStatus(dir)) {
                names.add(s.getPath().getName());
            }
            names.sort(null);
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + location + ": " + e.getMessage(), e);
        }
    }

    @Override
    public FileStore resolve(String name) {
        return new HadoopFileStore(new org.apache.hadoop.fs.Path(dir, name).toString(), conf);
    }

    @Override
    public String toString() {
        return location;
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temp file in java.io.tmpdir
            }
        }
    }
}
