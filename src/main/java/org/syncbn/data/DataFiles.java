package org.syncbn.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.syncbn.config.SpecException;

/**
 * Opens data files named by a directory and a file name, where the directory is either a plain
 * local path ({@code /data/fmnist}, {@code data/fmnist}) or any Hadoop FileSystem URI
 * ({@code file:///data}, {@code hdfs://nn:8020/data}, {@code s3a://bucket/data}, ...).
 * Plain paths go through java.nio; URIs through {@link Path#getFileSystem(Configuration)} with a
 * default {@link Configuration} (so core-site.xml/hdfs-site.xml on the classpath apply).
 * Every failure is a one-line {@link SpecException} naming the path.
 */
public final class DataFiles {

    /** A URI scheme of two or more characters (one letter would be a Windows drive, "C:"). */
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.\\-]+:.*", Pattern.DOTALL);

    private static final int HASH_BUFFER = 1 << 16;

    private DataFiles() {}

    /** True when {@code dir} starts with a URI scheme and is therefore opened through Hadoop. */
    static boolean isUri(String dir) {
        return dir != null && SCHEME.matcher(dir).matches();
    }

    /**
     * The path of {@code name} inside {@code dir}, as {@link #open} opens it and as error
     * messages print it. An empty dir means the working directory; an absolute local
     * {@code name} is returned as is.
     */
    public static String resolve(String dir, String name) {
        if (name == null || name.isEmpty()) {
            throw new SpecException("data file name is empty (directory " + oneLine(String.valueOf(dir))
                    + "): expected a file name");
        }
        String d = dir == null ? "" : dir;
        try {
            if (isUri(d)) {
                return new Path(new Path(d), name).toString();
            }
            return Paths.get(d).resolve(name).toString();
        } catch (IllegalArgumentException e) {
            throw new SpecException("invalid data file path: directory " + oneLine(d) + ", file " + oneLine(name)
                    + ": " + describe(e), e);
        }
    }

    /**
     * Opens {@code dir/name} for reading (unbuffered: wrap it). The caller closes it.
     *
     * @throws SpecException {@code data file not found: <path>} when it does not exist, or a
     *                       one-line message naming the path for any other failure.
     */
    public static InputStream open(String dir, String name) {
        String path = resolve(dir, name);
        return isUri(dir == null ? "" : dir) ? openHadoop(path) : openLocal(path);
    }

    private static InputStream openLocal(String path) {
        java.nio.file.Path p = Paths.get(path);
        if (Files.isDirectory(p)) {
            throw new SpecException("data file is a directory: " + oneLine(path) + " (expected a regular file)");
        }
        try {
            return Files.newInputStream(p);
        } catch (NoSuchFileException | FileNotFoundException e) {
            throw new SpecException("data file not found: " + oneLine(path), e);
        } catch (IOException | SecurityException e) {
            throw new SpecException("cannot open data file " + oneLine(path) + ": " + describe(e), e);
        }
    }

    private static InputStream openHadoop(String path) {
        Path p = new Path(path);
        FileSystem fs;
        try {
            fs = p.getFileSystem(new Configuration());
        } catch (IOException | RuntimeException e) {
            throw new SpecException("no usable Hadoop FileSystem for data file " + oneLine(path) + ": "
                    + describe(e), e);
        }
        try {
            FileStatus st = fs.getFileStatus(p);
            if (st.isDirectory()) {
                throw new SpecException("data file is a directory: " + oneLine(path) + " (expected a regular file)");
            }
            return fs.open(p);
        } catch (FileNotFoundException e) {
            throw new SpecException("data file not found: " + oneLine(path), e);
        } catch (IOException e) {
            throw new SpecException("cannot open data file " + oneLine(path) + ": " + describe(e), e);
        }
    }

    /** Whether {@code dir/name} exists (a file or a directory); a file system that cannot be asked is an error. */
    public static boolean exists(String dir, String name) {
        String path = resolve(dir, name);
        if (!isUri(dir == null ? "" : dir)) {
            return Files.exists(Paths.get(path));
        }
        Path p = new Path(path);
        try {
            return p.getFileSystem(new Configuration()).exists(p);
        } catch (IOException | IllegalArgumentException e) {
            throw new SpecException("cannot look up data file " + oneLine(path) + ": " + describe(e), e);
        }
    }

    /**
     * The length in bytes of the regular file {@code dir/name}.
     *
     * @throws SpecException {@code data file not found: <path>} when it does not exist, or a
     *                       one-line message naming the path (a directory, an I/O failure).
     */
    public static long length(String dir, String name) {
        String path = resolve(dir, name);
        if (!isUri(dir == null ? "" : dir)) {
            java.nio.file.Path p = Paths.get(path);
            if (Files.isDirectory(p)) {
                throw new SpecException("data file is a directory: " + oneLine(path) + " (expected a regular file)");
            }
            try {
                return Files.size(p);
            } catch (NoSuchFileException | FileNotFoundException e) {
                throw new SpecException("data file not found: " + oneLine(path), e);
            } catch (IOException | SecurityException e) {
                throw new SpecException("cannot read data file " + oneLine(path) + ": " + describe(e), e);
            }
        }
        Path p = new Path(path);
        FileStatus st;
        try {
            st = p.getFileSystem(new Configuration()).getFileStatus(p);
        } catch (FileNotFoundException e) {
            throw new SpecException("data file not found: " + oneLine(path), e);
        } catch (IOException | IllegalArgumentException e) {
            throw new SpecException("cannot read data file " + oneLine(path) + ": " + describe(e), e);
        }
        if (st.isDirectory()) {
            throw new SpecException("data file is a directory: " + oneLine(path) + " (expected a regular file)");
        }
        return st.getLen();
    }

    /** Lower-case hex SHA-256 of the raw bytes of {@code dir/name} (compressed bytes for a .gz file), streamed. */
    public static String sha256(String dir, String name) {
        String path = resolve(dir, name);
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
        try (InputStream in = open(dir, name)) {
            byte[] buf = new byte[HASH_BUFFER];
            int n;
            while ((n = in.read(buf)) != -1) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new SpecException("cannot read data file " + oneLine(path) + ": " + describe(e), e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** {@code s} with every line break replaced by a space, so messages stay on one line. */
    static String oneLine(String s) {
        return s == null ? "null" : s.replaceAll("[\\r\\n]+", " ");
    }

    /** A one-line description of an exception: its message, or its class name when it has none. */
    static String describe(Throwable e) {
        String m = e.getMessage();
        String d = (m == null || m.isBlank()) ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + m;
        return oneLine(d);
    }
}
