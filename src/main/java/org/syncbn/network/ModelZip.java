package org.syncbn.network;

import org.syncbn.config.SpecException;
import org.syncbn.serial.AllowList;
import org.syncbn.serial.RefusedStreamException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A DL4J model zip, read once into memory and checked before DL4J sees any of it.
 *
 * <p>DL4J's ModelSerializer (1.0.0-M2) deserialises {@code preprocessor.bin} with a bare
 * {@link java.io.ObjectInputStream} (and discards the object), {@code getObjectFromFile} reads
 * {@code objects/*} the same way, and old releases wrote {@code normalizer.bin} so. Here every entry
 * that is a Java serialisation stream, whatever its name, is read under {@link #ALLOWED} first: a
 * zip carrying any other class is refused naming the entry and the class, which is never
 * instantiated. DL4J is then handed a zip of the entries it reads as plain data only
 * ({@link #dl4jInput}: configuration JSON, parameters, updater state), so it opens no
 * ObjectInputStream at all. Reading the bytes once also means what was checked is what is loaded.
 * Entries are parsed with {@link ZipInputStream}, as DL4J's own reader does, so both see the same entries.
 */
final class ModelZip {
    /**
     * What a model zip may carry serialised: this project writes one String ({@code objects/syncbn-loop-state}
     * of a checkpoint); DL4J 1.0.0-M2 writes no Java-serialised entry.
     */
    static final AllowList ALLOWED = new AllowList("a model zip entry", Set.of("java.lang.String", "java.lang.Boolean",
            "java.lang.Character", "java.lang.Number", "java.lang.Byte", "java.lang.Short", "java.lang.Integer",
            "java.lang.Long", "java.lang.Float", "java.lang.Double"), 4, 1_000, 1 << 20, 16 << 20);

    /** The entries DL4J's restore methods read as data (never through Java serialisation). */
    private static final Set<String> DL4J_ENTRIES = Set.of("configuration.json", "coefficients.bin",
            "noParams.marker", "updaterState.bin");
    private static final String OBJECTS = "objects/";

    private final Map<String, byte[]> entries;
    private final Map<String, Object> objects;

    private ModelZip(Map<String, byte[]> entries, Map<String, Object> objects) {
        this.entries = entries;
        this.objects = objects;
    }

    /**
     * Reads and checks {@code zip}.
     *
     * @throws SpecException (no file name: the caller names it) when an entry holds a class or
     *         passes a limit that {@link #ALLOWED} refuses, or an entry's size is not what its header says
     * @throws IOException when it is not a zip
     */
    static ModelZip read(File zip) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (InputStream file = Files.newInputStream(zip.toPath()); ZipInputStream in = new ZipInputStream(file)) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                byte[] data = in.readAllBytes();
                if (e.getSize() >= 0 && e.getSize() != data.length) {
                    // DL4J allocates what the header says: a header that lies is a crafted file
                    throw new SpecException("entry " + e.getName() + " says it holds " + e.getSize() + " bytes and holds "
                            + data.length);
                }
                entries.put(e.getName(), data);
            }
        }
        if (entries.isEmpty()) {
            throw new IOException("not a zip file (no entries)");
        }
        Map<String, Object> objects = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            if (!AllowList.isJavaSerialized(e.getValue())) {
                continue;
            }
            Object value;
            try {
                value = ALLOWED.read(e.getValue());
            } catch (RefusedStreamException refused) {
                throw new SpecException("entry " + e.getKey() + " holds " + refused.getMessage()
                        + ", which a model zip may not carry (allowed: " + ALLOWED.describe() + ")", refused);
            }
            if (e.getKey().startsWith(OBJECTS)) {
                objects.put(e.getKey().substring(OBJECTS.length()), value);
            }
        }
        return new ModelZip(entries, objects);
    }

    /** The configuration JSON (either kind of network). */
    String configuration() throws IOException {
        byte[] json = entries.get(NetworkJson.CONFIGURATION_ENTRY);
        if (json == null) {
            throw new IOException("no " + NetworkJson.CONFIGURATION_ENTRY + " entry: not a DL4J model zip");
        }
        return new String(json, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The input layout the zip records (flat when it records none). */
    InputLayout layout() throws IOException {
        byte[] json = entries.get(NetworkJson.LAYOUT_ENTRY);
        return json == null ? InputLayout.FLAT : NetworkJson.parseLayout(json);
    }

    /** The values of the {@code objects/<key>} entries ({@code ModelSerializer.addObjectToFile}), checked. */
    Map<String, Object> objects() {
        return Collections.unmodifiableMap(objects);
    }

    /**
     * A zip of the entries DL4J's restore methods read as data, for {@code ModelSerializer.restore*(InputStream, ...)}.
     * Stored without compression: it is read once, from memory.
     */
    InputStream dl4jInput() throws IOException {
        Buffer bytes = new Buffer();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            out.setLevel(Deflater.NO_COMPRESSION);
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                if (DL4J_ENTRIES.contains(e.getKey())) {
                    out.putNextEntry(new ZipEntry(e.getKey()));
                    out.write(e.getValue());
                    out.closeEntry();
                }
            }
        }
        return bytes.asInput();
    }

    /** A byte buffer read back without the copy {@code toByteArray} makes (models run to hundreds of MB). */
    private static final class Buffer extends ByteArrayOutputStream {
        InputStream asInput() {
            return new ByteArrayInputStream(buf, 0, count);
        }
    }
}
