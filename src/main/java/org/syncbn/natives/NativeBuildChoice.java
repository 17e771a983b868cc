package org.syncbn.natives;

import java.util.List;
import java.util.function.Predicate;

/**
 * Which of ND4J 1.0.0-M2's native builds a JVM loads: the fastest one the CPU can run and the
 * classpath holds, else the generic build. JavaCPP loads the build named by the system property
 * {@value NativeBuild#EXTENSION_PROPERTY} (the classifier's suffix), and ND4J exits the JVM when
 * that build needs instructions the CPU lacks, so the choice must be made from the CPU flags
 * before ND4J is first used. Measured on the CNNs (bench/results/*-cnn-native-builds.md): the
 * oneDNN build for AVX2 runs convolutions through oneDNN, whose kernels pick AVX-512 themselves
 * at run time where the CPU has it.
 */
public final class NativeBuildChoice {
    /** What a build needs: the CPU flags ND4J's own feature check asks for (plus FMA/F16C, which the AVX2 builds are compiled with). */
    record Candidate(String extension, List<String> cpuFlags) {}

    /** Preferred first. The generic build ("") needs nothing and is always last. */
    static final List<Candidate> PREFERENCE = List.of(
            new Candidate("-onednn-avx2", List.of("avx", "avx2", "fma", "f16c")),
            new Candidate("", List.of()));

    private NativeBuildChoice() {
    }

    /** The extension to load on a CPU with {@code cpu}, among the builds {@code onClasspath} says are there. */
    public static String choose(CpuFeatures cpu, Predicate<String> onClasspath) {
        for (Candidate c : PREFERENCE) {
            if (cpu.has(c.cpuFlags().toArray(String[]::new)) && (c.extension().isEmpty() || onClasspath.test(c.extension()))) {
                return c.extension();
            }
        }
        return "";
    }

    /** Whether the classifier jar of build {@code extension} is on this JVM's classpath (its JNI library resource). */
    public static boolean onClasspath(String extension) {
        String resource = "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64" + extension + "/libjnind4jcpu.so";
        return NativeBuildChoice.class.getClassLoader().getResource(resource) != null;
    }

    /**
     * Chooses the build for this JVM unless the property is already set (by the user, by
     * scripts/env.sh, or by an earlier call), and returns the extension in force. Has no effect
     * once ND4J has loaded its library: call it first thing in a JVM's main and in executor tasks
     * before they touch ND4J.
     */
    public static String applyToThisJvm() {
        String set = System.getProperty(NativeBuild.EXTENSION_PROPERTY);
        if (set != null) {
            return set;
        }
        String chosen = choose(CpuFeatures.thisMachine(), NativeBuildChoice::onClasspath);
        System.setProperty(NativeBuild.EXTENSION_PROPERTY, chosen);
        return chosen;
    }
}
