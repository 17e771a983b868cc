package org.syncbn.natives;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The instruction-set flags of this machine's CPU, as Linux lists them in /proc/cpuinfo
 * ({@code flags : fpu ... avx2 fma ... avx512f ...}).
 */
public record CpuFeatures(Set<String> flags) {
    public CpuFeatures {
        flags = Set.copyOf(flags);
    }

    /** The flags of the first processor in a /proc/cpuinfo text; none when it has no flags line (not x86, not Linux). */
    public static CpuFeatures parse(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("flags")) {
                return new CpuFeatures(new TreeSet<>(Arrays.asList(
                        line.substring(colon + 1).trim().toLowerCase(Locale.ROOT).split("\\s+"))));
            }
        }
        return new CpuFeatures(Set.of());
    }

    /** This machine's flags (none where /proc/cpuinfo cannot be read). */
    public static CpuFeatures thisMachine() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return new CpuFeatures(Set.of());
        }
        try {
            return parse(Files.readString(cpuinfo));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + cpuinfo, e);
        }
    }

    public boolean has(String... required) {
        return flags.containsAll(Arrays.asList(required));
    }
}
