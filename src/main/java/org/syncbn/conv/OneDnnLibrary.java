package org.syncbn.conv;

import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.natives.OpenMpThreads;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether this JVM runs convolutions on oneDNN 2.5.2 (JavaCPP's presets {@code org.bytedeco:dnnl},
 * independent of which ND4J native build is loaded), decided once per JVM on first use: the
 * library loads, the process has one OpenMP runtime (so that {@link OpenMpThreads} sets oneDNN's
 * thread count), and one small convolution matches its definition ({@link OneDnnSelfCheck}).
 * Anything else (no native jar for this platform, a missing system library, an exception inside
 * oneDNN, a wrong result) leaves the route unused; either way one INFO line says what was found.
 *
 * <p>{@code -D}{@value #PROPERTY}{@code =false} switches the route off without loading anything
 * (the benchmarks use it to measure the other routes in the same run).
 *
 * <p>The holder below is this package's one piece of per-JVM state: a fact about the loaded
 * native library, computed once and never changed.
 */
public final class OneDnnLibrary {
    /** The system property that switches the oneDNN route off ({@code false}); on by default. */
    public static final String PROPERTY = "syncbn.conv.onednn";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OneDnnLibrary.class);

    /** What loading found: the CPU engine when the route is usable, and a one-line description. */
    private record State(engine engine, String description) {}

    /** Holder idiom: loaded, checked and logged on first use. */
    private static final class Loaded {
        static final State STATE = load();
    }

    private OneDnnLibrary() {
    }

    /** Whether the oneDNN route can run in this JVM (loads and checks the library on the first call). */
    public static boolean available() {
        return Loaded.STATE.engine() != null;
    }

    /** What loading found, e.g. "oneDNN 2.5.2 (OpenMP), ISA avx512_core_bf16: self-check passed". */
    public static String describe() {
        return Loaded.STATE.description();
    }

    /** The CPU engine every primitive of the route is created on. */
    static engine engine() {
        engine e = Loaded.STATE.engine();
        if (e == null) {
            throw new IllegalStateException("the oneDNN route is not available: " + describe());
        }
        return e;
    }

    private static State load() {
        State s = tryLoad();
        LOG.info("oneDNN convolutions: {}", s.description());
        return s;
    }

    private static State tryLoad() {
        if (System.getProperty(PROPERTY, "true").trim().equalsIgnoreCase("false")) {
            return new State(null, "off (-D" + PROPERTY + "=false); convolutions keep the other routes");
        }
        int callerThreads = -1;
        try {
            // ND4J first: its libgomp.so.1 becomes the process's OpenMP runtime, which oneDNN then shares
            Nd4j.getBackend();
            callerThreads = OpenMpThreads.ofCallingThread();
            Loader.load(dnnl.class);
            Set<String> runtimes = openMpRuntimes();
            if (runtimes.size() > 1) {
                return new State(null, "not used: two OpenMP runtimes are loaded (" + runtimes
                        + "), so oneDNN's thread count cannot be set; convolutions keep the other routes");
            }
            dnnl_version_t v = dnnl.dnnl_version();
            String what = String.format(Locale.ROOT, "oneDNN %d.%d.%d (%s), ISA %s", v.major(), v.minor(), v.patch(),
                    v.cpu_runtime() == dnnl.DNNL_RUNTIME_OMP ? "OpenMP" : "runtime " + v.cpu_runtime(),
                    dnnl.get_effective_cpu_isa().name());
            engine e = new engine(engine.kind.cpu, 0);
            String mismatch = OneDnnSelfCheck.mismatch(e);
            if (mismatch != null) {
                e.close();
                return new State(null, what + ": not used, self-check failed: " + mismatch);
            }
            return new State(e, what + ": self-check passed; float convolutions run on it");
        } catch (LinkageError | RuntimeException e) {
            return new State(null, "not available (" + e + "); convolutions keep the other routes");
        } finally {
            if (callerThreads > 0) {
                OpenMpThreads.pinCallingThread(callerThreads);
            }
        }
    }

    /** The OpenMP runtimes mapped into this process (/proc/self/maps; none known where it cannot be read). */
    private static Set<String> openMpRuntimes() {
        Set<String> found = new TreeSet<>();
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return found;
        }
        try {
            for (String line : Files.readAllLines(maps)) {
                int slash = line.indexOf('/');
                if (slash < 0) {
                    continue;
                }
                String path = line.substring(slash);
                String name = Path.of(path).getFileName().toString();
                if (name.startsWith("libgomp") || name.startsWith("libiomp") || name.startsWith("libomp")) {
                    found.add(path);
                }
            }
        } catch (IOException e) {
            return found;
        }
        return found;
    }
}
