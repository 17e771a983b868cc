package org.syncbn.natives;

import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The OpenMP thread count of the calling thread. A process here has one OpenMP runtime, ND4J's
 * {@code libgomp.so.1}: JavaCPP loads a library of one name once, so oneDNN's presets (built
 * with OpenMP, {@code DNNL_CPU_RUNTIME = OMP}), which bundle a libgomp of their own, run on
 * ND4J's copy when ND4J loads first. OpenMP keeps the count per thread (the nthreads-var of the
 * thread's implicit task: {@code omp_set_num_threads} on one thread leaves the others as they
 * were), and ND4J's initialisation sets it on the thread that initialises ND4J to the number of
 * cores it sees, whatever {@code OMP_NUM_THREADS} says (4 on this 2-core VM, measured); so a
 * library that runs OpenMP regions on its caller's thread must set the count on that thread.
 */
public final class OpenMpThreads {
    private OpenMpThreads() {
    }

    /** Sets the calling thread's OpenMP thread count ({@code omp_set_num_threads} through ND4J's binding). */
    public static void pinCallingThread(int threads) {
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(Math.max(1, threads));
    }

    /** The calling thread's OpenMP thread count ({@code omp_get_max_threads}). */
    public static int ofCallingThread() {
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }
}
