package org.syncbn.natives;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.Locale;

/**
 * The ND4J native build this JVM loaded: its classifier's extension (told apart by the binary's
 * instruction-set level and oneDNN: each of the five builds has its own pair), whether
 * libnd4j was compiled with oneDNN ({@code HAVE_ONEDNN} in its build information), whether its
 * oneDNN platform ops are switched on at run time, and the instruction-set level of the binary
 * and of the CPU (1 generic x86-64, 2 AVX2, 3 AVX-512, as ND4J's own feature check counts).
 */
public record NativeBuild(String extension, boolean haveOneDnn, boolean oneDnnEnabled, int binaryLevel,
                          int cpuLevel, String buildInfo) {
    /** The JavaCPP system property that picks a native build: "" (generic), "-avx2", "-onednn-avx2", ... */
    public static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";


    /** The build of this JVM (initialises ND4J when it is not yet), read once per JVM; oneDnnEnabled is the run-time switch as it was then. */
    public static NativeBuild current() {
        return Loaded.BUILD;
    }

    /** Holder idiom: the loaded library is a fact of the JVM, read on first use. */
    private static final class Loaded {
        static final NativeBuild BUILD = read();
    }

    private static NativeBuild read() {
        Nd4j.getBackend();
        NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        String info = ops.buildInfo();
        boolean oneDnn = info.contains("HAVE_ONEDNN");
        return new NativeBuild(extensionOf(oneDnn, ops.binaryLevel()), oneDnn, oneDnnSwitchedOn(),
                ops.binaryLevel(), ops.optimalLevel(), info);
    }

    /** The classifier extension of the 1.0.0-M2 build with oneDNN or not at binary level {@code level}. */
    static String extensionOf(boolean oneDnn, int level) {
        String isa = switch (level) {
            case 2 -> "-avx2";
            case 3 -> "-avx512";
            default -> "";
        };
        return oneDnn ? "-onednn" + isa : isa;
    }

    /**
     * libnd4j's run-time switch for its oneDNN platform ops. (DL4J 1.0.0-M2's layer helpers ask
     * for a method {@code isUseMKLDNN} that this binding does not have, which is why they never
     * engage; the switch itself is {@code isUseONEDNN}.)
     */
    private static boolean oneDnnSwitchedOn() {
        return org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance().isUseONEDNN();
    }

    public String describe() {
        return String.format(Locale.ROOT, "extension=%s have_onednn=%s onednn_enabled=%s binary_level=%d cpu_level=%d",
                extension.isEmpty() ? "(generic)" : extension, haveOneDnn, oneDnnEnabled, binaryLevel, cpuLevel);
    }
}
