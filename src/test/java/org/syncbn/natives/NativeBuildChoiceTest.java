package org.syncbn.natives;

import org.junit.jupiter.api.Test;
import org.syncbn.bench.NativeSelfCheck;
import org.syncbn.conv.OneDnnLibrary;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native build choice: the oneDNN/AVX2 build on a CPU with AVX2 (AVX-512 machines included)
 * when its jar is on the classpath, the generic build on an older CPU, on a machine without
 * /proc/cpuinfo flags, or when the jar is missing; and, in fresh JVMs, both the build chosen for
 * this machine and the generic fallback load, report themselves, and train a CNN in float to the
 * parameters the same training reaches in double, and with the fast convolutions to DL4J's own, to
 * float rounding: on oneDNN 2.5.2 beside either build, and with it switched off on libnd4j's ops
 * (oneDNN 2.3 on a oneDNN build) or DL4J's own code (generic build).
 */
class NativeBuildChoiceTest {
    static final String AVX512 = "processor\t: 0\nflags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx f16c fma avx2 "
            + "avx512f avx512dq avx512cd avx512bw avx512vl\n\nprocessor\t: 1\nflags\t\t: fpu\n";
    static final String AVX2 = "flags : fpu sse sse2 sse4_2 avx f16c fma avx2\n";
    static final String OLD = "flags : fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt\n";

    @Test
    void aCpuWithAvx2GetsTheOneDnnBuildAndAnOlderOneTheGenericBuild() {
        assertEquals("-onednn-avx2", NativeBuildChoice.choose(CpuFeatures.parse(AVX512), ext -> true));
        assertEquals("-onednn-avx2", NativeBuildChoice.choose(CpuFeatures.parse(AVX2), ext -> true));
        assertEquals("", NativeBuildChoice.choose(CpuFeatures.parse(OLD), ext -> true));
        assertEquals("", NativeBuildChoice.choose(CpuFeatures.parse("model name : ARM\n"), ext -> true));
        assertEquals("", NativeBuildChoice.choose(CpuFeatures.parse(AVX512), ext -> false), "jar missing");
    }

    @Test
    void cpuinfoFlagsOfTheFirstProcessorAreRead() {
        CpuFeatures f = CpuFeatures.parse(AVX512);
        assertTrue(f.has("avx2", "avx512bw"));
        assertEquals(Set.of("fpu", "sse", "sse2", "ssse3", "sse4_1", "sse4_2", "avx", "f16c", "fma", "avx2",
                "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"), f.flags());
    }

    @Test
    void eachBuildIsToldApartByItsInstructionLevelAndOneDnn() {
        assertEquals("", NativeBuild.extensionOf(false, 1));
        assertEquals("-avx2", NativeBuild.extensionOf(false, 2));
        assertEquals("-avx512", NativeBuild.extensionOf(false, 3));
        assertEquals("-onednn", NativeBuild.extensionOf(true, 1));
        assertEquals("-onednn-avx2", NativeBuild.extensionOf(true, 2));
    }

    @Test
    void theBuildChosenHereAndTheGenericFallbackBothLoadAndTrainCorrectly(@TempDir Path dir) throws Exception {
        String chosen = NativeBuildChoice.choose(CpuFeatures.thisMachine(), NativeBuildChoice::onClasspath);
        // oneDNN 2.5.2 loads beside either ND4J build; switched off, a oneDNN ND4J build runs libnd4j's ops
        record Run(String ext, boolean oneDnn25, String route) {}
        boolean chosenHasOneDnn = chosen.contains("onednn");
        for (Run run : List.of(new Run(chosen, true, "ConvRoute[forward=ONEDNN, backward=ONEDNN]"),
                new Run(chosen, false, chosenHasOneDnn ? "ConvRoute[forward=LIBND4J, backward=LIBND4J]"
                        : "ConvRoute[forward=DL4J, backward=DL4J]"),
                new Run("", true, "ConvRoute[forward=ONEDNN, backward=ONEDNN]"))) {
            String out = selfCheck(run.ext(), run.oneDnn25(), dir.resolve("check" + run.ext() + run.oneDnn25() + ".log").toFile());
            assertTrue(out.contains("NATIVE extension=" + (run.ext().isEmpty() ? "(generic)" : run.ext()) + " "), out);
            assertTrue(out.contains("MAX_REL_DIFF float_vs_double="), out);
            assertTrue(out.contains("ROUTE " + run.route()), out);
            assertTrue(out.contains(run.oneDnn25() ? "ONEDNN oneDNN 2.5.2" : "ONEDNN off"), out);
        }
    }

    /** Runs NativeSelfCheck in a fresh JVM on build {@code ext}, oneDNN 2.5.2 on or off; returns its output, failing on a non-zero exit. */
    private static String selfCheck(String ext, boolean oneDnn25, File log) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("-Dorg.bytedeco.javacpp.cachedir")
                    || arg.equals("-XX:+IgnoreUnrecognizedVMOptions") || arg.startsWith("-Djdk.reflect")) {
                cmd.add(arg);
            }
        }
        cmd.add("-D" + NativeBuild.EXTENSION_PROPERTY + "=" + ext);
        cmd.add("-D" + OneDnnLibrary.PROPERTY + "=" + oneDnn25);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(NativeSelfCheck.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        boolean done = p.waitFor(240, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String out = Files.readString(log.toPath());
        assertTrue(done, "self check timed out on build '" + ext + "':\n" + out);
        assertEquals(0, p.exitValue(), "self check failed on build '" + ext + "':\n" + out);
        return out;
    }
}
