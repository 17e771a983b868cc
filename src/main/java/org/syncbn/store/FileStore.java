package org.syncbn.store;

import org.apache.hadoop.conf.Configuration;
import org.syncbn.config.SpecException;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A directory of whole files, local or on any Hadoop FileSystem (hdfs://, s3a://, ...), where
 * every write is all-or-nothing: a reader sees the previous complete file or the new one, never
 * part of one. Writers and readers get a local file, so libraries that only speak
 * {@link java.io.File} (DL4J's ModelSerializer) work against remote stores too.
 */
public interface FileStore {

    /** Fills a local temporary file with the new content. */
    @FunctionalInterface
    interface LocalWriter {
        void writeTo(Path tmp) throws IOException;
    }

    /** Reads a local copy of a stored file. */
    @FunctionalInterface
    interface LocalReader<T> {
        T readFrom(Path local) throws IOException;
    }

    /** The directory, as the user wrote it (for messages). */
    String location();

    /** The full path or URI of {@code name} in this directory (for messages). */
    String describe(String name);

    boolean exists(String name);

    /** Replaces {@code name} atomically with what {@code writer} puts in a temporary file. */
    void write(String name, LocalWriter writer);

    /**
     * Creates {@code name} holding {@code text} only if no entry of that name exists; false when
     * one does. The check and the creation are one atomic step on local disks and HDFS (a lock can
     * be taken with it); on object stores without conditional writes (older s3a) it is not.
     */
    boolean createNew(String name, String text);

    /** Hands {@code reader} a local file holding {@code name}'s content. */
    <T> T read(String name, LocalReader<T> reader);

    /** Deletes {@code name} if it exists; true when something was deleted. */
    boolean delete(String name);

    /** Names of the entries directly inside this directory (empty when it does not exist), sorted. */
    List<String> list();

    /** The sub-directory {@code name}. */
    FileStore resolve(String name);

    /**
     * Deletes the temporary files of this code's own writes that a killed process left behind
     * ({@link #OWN_TEMP}: ".name.digits.tmp" locally, ".name.uuid.tmp" on Hadoop); other files, whatever
     * their name, stay. Only for a directory no other writer is using now (a run's or a sweep's
     * output, at its start).
     *
     * @return how many were deleted
     */
    default int removeStaleTemps() {
        int removed = 0;
        for (String name : list()) {
            if (OWN_TEMP.matcher(name).matches() && delete(name)) {
                removed++;
            }
        }
        return removed;
    }

    /** The names {@link AtomicFiles} (createTempFile's random digits) and {@link HadoopFileStore} (a UUID) give temps. */
    Pattern OWN_TEMP = Pattern.compile(
            "^\\..+\\.([0-9]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\\.tmp$");

    default void writeString(String name, String text) {
        write(name, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    }

    default String readString(String name) {
        return read(name, p -> Files.readString(p, StandardCharsets.UTF_8));
    }

    /**
     * The store at {@code location}: a plain path or {@code file:} URI is a local directory,
     * anything else with a URI scheme goes through Hadoop with {@code hadoopConf} (only asked for then).
     */
    static FileStore at(String location, Supplier<Configuration> hadoopConf) {
        if (location == null || location.isBlank()) {
            throw new SpecException("output location is empty: expected a directory or a file system URI");
        }
        if (!SCHEME.matcher(location).matches()) {
            return new LocalFileStore(Path.of(location));
        }
        URI uri;
        try {
            uri = new URI(location);
        } catch (URISyntaxException e) {
            throw new SpecException("output location " + location + " is not a valid URI: " + e.getReason());
        }
        if ("file".equalsIgnoreCase(uri.getScheme())) {
            return new LocalFileStore(Path.of(uri));
        }
        return new HadoopFileStore(location, hadoopConf.get());
    }

    /** A URI scheme of two or more characters (one letter would be a Windows drive, "C:"). */
    Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.\\-]+:.*", Pattern.DOTALL);
}
