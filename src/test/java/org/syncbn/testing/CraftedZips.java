package org.syncbn.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** Copies of real zips with entries added or replaced, as an attacker would craft them. */
public final class CraftedZips {
    private CraftedZips() {
    }

    /** Writes {@code to}: {@code from}'s entries, with those named in {@code replace} replaced (or added). */
    public static Path withEntries(Path from, Path to, Map<String, byte[]> replace) throws IOException {
        try (InputStream file = Files.newInputStream(from); ZipInputStream in = new ZipInputStream(file);
             OutputStream target = Files.newOutputStream(to); ZipOutputStream out = new ZipOutputStream(target)) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(replace.containsKey(e.getName()) ? replace.get(e.getName()) : in.readAllBytes());
                out.closeEntry();
            }
            for (Map.Entry<String, byte[]> r : replace.entrySet()) {
                if (!hasEntry(from, r.getKey())) {
                    out.putNextEntry(new ZipEntry(r.getKey()));
                    out.write(r.getValue());
                    out.closeEntry();
                }
            }
        }
        return to;
    }

    private static boolean hasEntry(Path zip, String name) throws IOException {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(zip.toFile())) {
            return z.getEntry(name) != null;
        }
    }
}
