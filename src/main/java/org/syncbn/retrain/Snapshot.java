package org.syncbn.retrain;

import org.syncbn.config.JobSpec;
import org.syncbn.data.IdxDataSource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A data snapshot a retrain trains on: its directory and the SHA-256 of each of its four files.
 *
 * @param dir         the snapshot directory (path or URI)
 * @param files       file name → SHA-256 of its bytes
 * @param fingerprint SHA-256 of the sorted "name=sha256" lines: equal for equal content wherever it lies
 */
public record Snapshot(String dir, Map<String, String> files, String fingerprint) {

    public Snapshot {
        files = Map.copyOf(files);
    }

    /** Hashes the data files of {@code data} (data.dir = the snapshot); missing files fail as bad input. */
    public static Snapshot of(JobSpec.DataSpec data) {
        Map<String, String> files = new TreeMap<>(new IdxDataSource(data).fingerprint());
        StringBuilder lines = new StringBuilder();
        files.forEach((name, sha) -> lines.append(name).append('=').append(sha).append('\n'));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(lines.toString().getBytes(StandardCharsets.UTF_8));
            return new Snapshot(data.dir(), files, HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }
}
