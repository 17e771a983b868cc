package org.syncbn.conv;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.syncbn.natives.OpenMpThreads;

import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.algorithm;
import static org.bytedeco.dnnl.global.dnnl.prop_kind;
import static org.bytedeco.dnnl.global.dnnl.scratchpad_mode;

/**
 * oneDNN's convolution primitives for one {@link ConvGeometry} and thread count, as PyTorch runs
 * them on plain CPU tensors: each primitive is created with {@code format_tag::any} for its
 * activations and weights, so oneDNN picks its own (blocked, e.g. aBcd16b and ABcd16b16a) layouts,
 * and every call reorders the caller's plain arrays (NCHW or NHWC activations, DL4J's OIHW weights)
 * into those layouts and the results back; where oneDNN wants the plain layout no copy is made.
 * The bias and its gradient are always plain.
 *
 * <p>forward: z = x ⋆ W + b; backward data: ∂L/∂x = δ ⋆ᵀ W; backward weights: ∂L/∂W = x ⋆ δ and
 * ∂L/∂b = Σ_{n,h,w} δ, with δ = ∂L/∂z. Results overwrite the output arrays.
 *
 * <p>The thread count is fixed per instance and set on the calling thread before every
 * primitive is created and run ({@link OpenMpThreads}): oneDNN splits a backward-weights
 * reduction among the threads it sees at creation, and running that split on fewer threads
 * oversubscribes the cores (measured: 13-40 ms per call instead of 0.48 ms for ResNet-20's
 * 16 → 16 3×3 convolution at batch 32, one thread). Scratchpads are the caller's
 * ({@code scratchpad_mode::user}), so that oneDNN allocates nothing per call.
 *
 * <p>Not thread-safe: one layer, one thread at a time, as DL4J runs layers.
 */
final class OneDnnConvolution implements AutoCloseable {
    /** Memory for one call's blocked copies and scratchpad: {@code bytes} bytes, 64-byte aligned, valid until the call returns. */
    interface Scratch {
        Pointer get(long bytes);
    }

    private final ConvGeometry g;
    private final int threads;
    private final engine engine;
    private final stream stream;
    private final List<Pointer> owned = new ArrayList<>();
    private final primitive_attr attr;
    private final memory.desc bias;
    private final convolution_forward.primitive_desc forwardDesc;
    private final convolution_forward forward;
    private final Operand forwardSrc;
    private final Operand forwardWeights;
    private final Operand forwardDst;
    private final memory forwardBias;
    private final Scratchpad forwardScratchpad;
    private final IntMemoryMap forwardArgs;
    private Backward backward;

    /** The primitives of {@code g} on {@code engine}, run with {@code threads} OpenMP threads. */
    OneDnnConvolution(ConvGeometry g, int threads, engine engine) {
        this.g = g;
        this.threads = threads;
        this.engine = engine;
        OpenMpThreads.pinCallingThread(threads);
        this.stream = keep(new stream(engine));
        this.attr = keep(new primitive_attr());
        attr.set_scratchpad_mode(scratchpad_mode.user);
        this.bias = keep(desc(new long[] {g.outChannels()}, memory.format_tag.x));
        memory.desc src = any(g.inputDims());
        memory.desc dst = any(g.outputDims());
        memory.desc weights = any(g.weightShape());
        convolution_forward.desc d = keep(g.bias()
                ? new convolution_forward.desc(prop_kind.forward_training, algorithm.convolution_direct, src, weights,
                        bias, dst, strides(), dilates(), padL(), padR())
                : new convolution_forward.desc(prop_kind.forward_training, algorithm.convolution_direct, src, weights,
                        dst, strides(), dilates(), padL(), padR()));
        this.forwardDesc = keep(new convolution_forward.primitive_desc(d, attr, engine));
        this.forward = keep(new convolution_forward(forwardDesc));
        this.forwardSrc = new Operand(activations(g.inputDims()), forwardDesc.src_desc(), true);
        this.forwardWeights = new Operand(weightsPlain(), forwardDesc.weights_desc(), true);
        this.forwardDst = new Operand(activations(g.outputDims()), forwardDesc.dst_desc(), false);
        this.forwardBias = g.bias() ? unbound(bias) : null;
        this.forwardScratchpad = new Scratchpad(forwardDesc);
        this.forwardArgs = keep(new IntMemoryMap());
        forwardArgs.put(DNNL_ARG_SRC, forwardSrc.inner);
        forwardArgs.put(DNNL_ARG_WEIGHTS, forwardWeights.inner);
        forwardArgs.put(DNNL_ARG_DST, forwardDst.inner);
        if (forwardBias != null) {
            forwardArgs.put(DNNL_ARG_BIAS, forwardBias);
        }
        forwardArgs.put(DNNL_ARG_SCRATCHPAD, forwardScratchpad.mem);
    }

    ConvGeometry geometry() {
        return g;
    }

    /** The implementations oneDNN chose, e.g. "forward jit:avx512_common, backward data jit:avx512_common, ...". */
    String implementations() {
        String s = "forward " + forwardDesc.impl_info_str().getString();
        if (backward != null) {
            s += ", backward data " + backward.dataDesc.impl_info_str().getString()
                    + ", backward weights " + backward.weightsDesc.impl_info_str().getString();
        }
        return s;
    }

    /** z = x ⋆ W + b into {@code z}; {@code b} null without a bias. All pointers are the first element of a plain array. */
    void forward(Pointer x, Pointer w, Pointer b, Pointer z, Scratch scratch) {
        OpenMpThreads.pinCallingThread(threads);
        forwardSrc.bindInput(x, scratch);
        forwardWeights.bindInput(w, scratch);
        forwardDst.bindOutput(z, scratch);
        if (forwardBias != null) {
            forwardBias.set_data_handle(b);
        }
        forwardScratchpad.bind(scratch);
        forward.execute(stream, forwardArgs);
        forwardDst.finishOutput();
        stream._wait();
    }

    /**
     * ∂L/∂x into {@code gradX}, ∂L/∂W into {@code gradW} and (with a bias) ∂L/∂b into {@code gradB},
     * from the input {@code x}, the weights {@code w} and δ = ∂L/∂z {@code delta}.
     */
    void backward(Pointer x, Pointer w, Pointer delta, Pointer gradX, Pointer gradW, Pointer gradB, Scratch scratch) {
        OpenMpThreads.pinCallingThread(threads);
        if (backward == null) {
            backward = new Backward();
        }
        Backward bw = backward;
        bw.dataDiffDst.bindInput(delta, scratch);
        bw.dataWeights.bindInput(w, scratch);
        bw.dataDiffSrc.bindOutput(gradX, scratch);
        bw.dataScratchpad.bind(scratch);
        bw.data.execute(stream, bw.dataArgs);
        bw.dataDiffSrc.finishOutput();

        bw.weightsSrc.bindInput(x, scratch);
        if (bw.weightsDiffDst != bw.dataDiffDst) {
            bw.weightsDiffDst.bindInput(delta, scratch);
        }
        bw.weightsDiffWeights.bindOutput(gradW, scratch);
        if (bw.diffBias != null) {
            bw.diffBias.set_data_handle(gradB);
        }
        bw.weightsScratchpad.bind(scratch);
        bw.weights.execute(stream, bw.weightsArgs);
        bw.weightsDiffWeights.finishOutput();
        stream._wait();
    }

    /** The backward primitives, created on the first backward call (a network that only predicts never needs them). */
    private final class Backward {
        final convolution_backward_data.primitive_desc dataDesc;
        final convolution_backward_data data;
        final Operand dataDiffDst;
        final Operand dataWeights;
        final Operand dataDiffSrc;
        final Scratchpad dataScratchpad;
        final IntMemoryMap dataArgs;
        final convolution_backward_weights.primitive_desc weightsDesc;
        final convolution_backward_weights weights;
        final Operand weightsSrc;
        final Operand weightsDiffDst;
        final Operand weightsDiffWeights;
        final memory diffBias;
        final Scratchpad weightsScratchpad;
        final IntMemoryMap weightsArgs;

        Backward() {
            memory.desc src = any(g.inputDims());
            memory.desc dst = any(g.outputDims());
            memory.desc w = any(g.weightShape());
            convolution_backward_data.desc dd = keep(new convolution_backward_data.desc(algorithm.convolution_direct,
                    src, w, dst, strides(), dilates(), padL(), padR()));
            dataDesc = keep(new convolution_backward_data.primitive_desc(dd, attr, engine, forwardDesc));
            data = keep(new convolution_backward_data(dataDesc));
            dataDiffDst = new Operand(activations(g.outputDims()), dataDesc.diff_dst_desc(), true);
            dataWeights = new Operand(weightsPlain(), dataDesc.weights_desc(), true);
            dataDiffSrc = new Operand(activations(g.inputDims()), dataDesc.diff_src_desc(), false);
            dataScratchpad = new Scratchpad(dataDesc);
            dataArgs = keep(new IntMemoryMap());
            dataArgs.put(DNNL_ARG_DIFF_DST, dataDiffDst.inner);
            dataArgs.put(DNNL_ARG_WEIGHTS, dataWeights.inner);
            dataArgs.put(DNNL_ARG_DIFF_SRC, dataDiffSrc.inner);
            dataArgs.put(DNNL_ARG_SCRATCHPAD, dataScratchpad.mem);

            convolution_backward_weights.desc wd = keep(g.bias()
                    ? new convolution_backward_weights.desc(algorithm.convolution_direct, src, w, bias, dst,
                            strides(), dilates(), padL(), padR())
                    : new convolution_backward_weights.desc(algorithm.convolution_direct, src, w, dst,
                            strides(), dilates(), padL(), padR()));
            weightsDesc = keep(new convolution_backward_weights.primitive_desc(wd, attr, engine, forwardDesc));
            weights = keep(new convolution_backward_weights(weightsDesc));
            weightsSrc = new Operand(activations(g.inputDims()), weightsDesc.src_desc(), true);
            // both backward primitives read δ: one reordered copy serves both where they want one layout
            memory.desc wantedDiffDst = weightsDesc.diff_dst_desc();
            weightsDiffDst = wantedDiffDst.equals(dataDiffDst.inner.get_desc()) ? dataDiffDst
                    : new Operand(activations(g.outputDims()), wantedDiffDst, true);
            weightsDiffWeights = new Operand(weightsPlain(), weightsDesc.diff_weights_desc(), false);
            diffBias = g.bias() ? unbound(bias) : null;
            weightsScratchpad = new Scratchpad(weightsDesc);
            weightsArgs = keep(new IntMemoryMap());
            weightsArgs.put(DNNL_ARG_SRC, weightsSrc.inner);
            weightsArgs.put(DNNL_ARG_DIFF_DST, weightsDiffDst.inner);
            weightsArgs.put(DNNL_ARG_DIFF_WEIGHTS, weightsDiffWeights.inner);
            if (diffBias != null) {
                weightsArgs.put(DNNL_ARG_DIFF_BIAS, diffBias);
            }
            weightsArgs.put(DNNL_ARG_SCRATCHPAD, weightsScratchpad.mem);
        }
    }

    /**
     * One array argument of a primitive: the caller's plain array and, where the primitive wants
     * another layout, a blocked buffer from the call's scratch and the reorder between the two
     * (plain → blocked for an input, blocked → plain for an output).
     */
    private final class Operand {
        final memory user;
        final memory inner;
        final reorder reorder;
        final long bytes;
        final boolean input;

        Operand(memory.desc plain, memory.desc wanted, boolean input) {
            this.input = input;
            this.user = unbound(plain);
            if (plain.equals(wanted)) {
                inner = user;
                reorder = null;
                bytes = 0;
            } else {
                inner = unbound(wanted);
                reorder = keep(input ? new reorder(user, inner) : new reorder(inner, user));
                bytes = wanted.get_size();
            }
        }

        void bindInput(Pointer array, Scratch scratch) {
            user.set_data_handle(array);
            if (reorder != null) {
                inner.set_data_handle(scratch.get(bytes));
                reorder.execute(stream, user, inner);
            }
        }

        void bindOutput(Pointer array, Scratch scratch) {
            user.set_data_handle(array);
            if (reorder != null) {
                inner.set_data_handle(scratch.get(bytes));
            }
        }

        void finishOutput() {
            if (reorder != null) {
                reorder.execute(stream, inner, user);
            }
        }
    }

    /** A primitive's scratchpad (oneDNN's temporary memory for one execution), from the call's scratch. */
    private final class Scratchpad {
        final memory mem;
        final long bytes;

        Scratchpad(primitive_desc_base pd) {
            memory.desc d = keep(pd.scratchpad_desc());
            mem = unbound(d);
            bytes = d.get_size();
        }

        void bind(Scratch scratch) {
            if (bytes > 0) {
                mem.set_data_handle(scratch.get(bytes));
            }
        }
    }

    /** A memory object of {@code d} without a buffer (DNNL_MEMORY_NONE): each call binds the caller's. */
    private memory unbound(memory.desc d) {
        return keep(new memory(d, engine, new Pointer()));
    }

    private memory.desc any(long[] dims) {
        return keep(desc(dims, memory.format_tag.any));
    }

    private memory.desc activations(long[] dims) {
        return keep(desc(dims, g.format() == CNN2DFormat.NCHW ? memory.format_tag.nchw : memory.format_tag.nhwc));
    }

    private memory.desc weightsPlain() {
        return keep(desc(g.weightShape(), memory.format_tag.oihw));
    }

    private static memory.desc desc(long[] dims, memory.format_tag tag) {
        return new memory.desc(dims, memory.data_type.f32, tag);
    }

    private long[] strides() {
        return new long[] {g.stride().h(), g.stride().w()};
    }

    /** oneDNN counts dilation from 0 (none); DL4J from 1. */
    private long[] dilates() {
        return new long[] {g.dilation().h() - 1, g.dilation().w() - 1};
    }

    private long[] padL() {
        return new long[] {g.padTopLeft().h(), g.padTopLeft().w()};
    }

    private long[] padR() {
        return new long[] {g.padBottomRight().h(), g.padBottomRight().w()};
    }

    private <T extends Pointer> T keep(T p) {
        owned.add(p);
        return p;
    }

    /** Frees the primitives, descriptors and memory objects (never the callers' arrays). */
    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
    }
}
