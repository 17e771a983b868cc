package org.syncbn.bench;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.bn.BnConversion;
import org.syncbn.conv.FastConvolutions;
import org.syncbn.natives.NativeBuild;
import org.syncbn.worker.NativeThreads;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Training speed of the two benchmark CNNs ({@link CnnBenchNets}) on random 1×28×28 inputs, one
 * JVM, {@code threads} native threads. Usage:
 * {@code CnnSpeedBench net=resnet20|fashion-cnn [format=NCHW|NHWC] [mode=Same|Truncate]
 * [dtype=float|double] [bias=false] [ws=ENABLED|NONE] [cache=NONE|HOST|DEVICE] [conv=dl4j|fast]
 * [bn=dl4j|sync] [batch=32] [warmup=5] [steps=30] [repeats=3] [threads=1]}.
 * {@code conv=dl4j} is plain DL4J; {@code conv=fast} converts the network with
 * {@link FastConvolutions#apply} (the project's convolution layer, otherwise plain DL4J).
 * {@code bn=sync} converts DL4J's BatchNormalization layers to the project's
 * SyncBatchNormalization ({@link BnConversion#toSync}, a local collective: the layer the training
 * jobs run).
 *
 * <p>Prints the native build in use, the layer implementation classes, and one line per repeat:
 * {@code REPEAT r samples_per_sec=<x> samples_per_cpu_sec=<y>}; the last line, {@code BENCH net=...},
 * has the medians of the repeats. samples_per_cpu_sec counts the training thread's CPU time
 * instead of wall time (every kernel runs on that thread at one native thread; GC threads are not
 * counted): on a shared machine it moves less with the other processes' load.
 */
public final class CnnSpeedBench {
    private CnnSpeedBench() {
    }

    /** The options of one measurement. */
    public record Options(String net, CnnBenchNets.Settings settings, String conv, String bn, int batch, int warmup,
                          int steps, int repeats, int threads) {
        static Options parse(String[] args) {
            Map<String, String> kv = new TreeMap<>();
            for (String a : args) {
                int eq = a.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("expected key=value, got " + a);
                }
                kv.put(a.substring(0, eq), a.substring(eq + 1));
            }
            CnnBenchNets.Settings d = CnnBenchNets.Settings.defaults();
            CnnBenchNets.Settings s = new CnnBenchNets.Settings(
                    CNN2DFormat.valueOf(kv.getOrDefault("format", d.format().name())),
                    ConvolutionMode.valueOf(kv.getOrDefault("mode", d.mode().name())),
                    kv.getOrDefault("dtype", "float").equals("double") ? DataType.DOUBLE : DataType.FLOAT,
                    Boolean.parseBoolean(kv.getOrDefault("bias", "false")),
                    WorkspaceMode.valueOf(kv.getOrDefault("ws", d.workspaces().name())),
                    CacheMode.valueOf(kv.getOrDefault("cache", d.cache().name())),
                    d.seed());
            return new Options(kv.getOrDefault("net", "resnet20"), s, kv.getOrDefault("conv", "dl4j"),
                    kv.getOrDefault("bn", "dl4j"),
                    Integer.parseInt(kv.getOrDefault("batch", "32")), Integer.parseInt(kv.getOrDefault("warmup", "5")),
                    Integer.parseInt(kv.getOrDefault("steps", "30")), Integer.parseInt(kv.getOrDefault("repeats", "3")),
                    Integer.parseInt(kv.getOrDefault("threads", "1")));
        }

        String describe() {
            CnnBenchNets.Settings s = settings;
            return String.format(Locale.ROOT, "net=%s conv=%s bn=%s format=%s mode=%s dtype=%s bias=%s ws=%s cache=%s batch=%d threads=%d",
                    net, conv, bn, s.format(), s.mode(), s.dtype().name().toLowerCase(Locale.ROOT), s.convBias(),
                    s.workspaces(), s.cache(), batch, threads);
        }
    }

    public static void main(String[] args) {
        Options o = Options.parse(args);
        if (!o.conv().equals("dl4j") && !o.conv().equals("fast")) {
            throw new IllegalArgumentException("conv must be dl4j or fast, got " + o.conv());
        }
        if (!o.bn().equals("dl4j") && !o.bn().equals("sync")) {
            throw new IllegalArgumentException("bn must be dl4j or sync, got " + o.bn());
        }
        NativeThreads.apply(o.threads());
        System.out.println("NATIVE " + NativeBuild.current().describe());
        List<Rate> rates = run(o);
        System.out.printf(Locale.ROOT, "BENCH %s samples_per_sec=%.1f samples_per_cpu_sec=%.1f%n", o.describe(),
                median(rates.stream().map(Rate::wall).toList()), median(rates.stream().map(Rate::cpu).toList()));
        System.exit(0);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        return sorted.get(sorted.size() / 2);
    }

    /** One repeat's samples per second of wall time and of the training thread's CPU time. */
    record Rate(double wall, double cpu) {}

    /** The rates of each repeat of {@code steps} training steps, after {@code warmup} untimed steps. */
    static List<Rate> run(Options o) {
        int side = 28;
        int classes = 10;
        Trainer t = trainer(o, side, classes);
        System.out.println("LAYERS " + t.layerClasses());
        DataSet[] batches = new DataSet[4];
        for (int i = 0; i < batches.length; i++) {
            batches[i] = randomBatch(o, side, classes, i);
        }
        for (int i = 0; i < o.warmup(); i++) {
            t.fit(batches[i % batches.length]);
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        List<Rate> rates = new ArrayList<>();
        for (int r = 0; r < o.repeats(); r++) {
            long t0 = System.nanoTime();
            long c0 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < o.steps(); i++) {
                t.fit(batches[i % batches.length]);
            }
            double cpu = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
            double sec = (System.nanoTime() - t0) / 1e9;
            rates.add(new Rate(o.steps() * o.batch() / sec, o.steps() * o.batch() / cpu));
            System.out.printf(Locale.ROOT, "REPEAT %d samples_per_sec=%.1f samples_per_cpu_sec=%.1f%n", r,
                    rates.get(r).wall(), rates.get(r).cpu());
        }
        return rates;
    }

    private static DataSet randomBatch(Options o, int side, int classes, int seed) {
        Nd4j.getRandom().setSeed(1000 + seed);
        long[] shape = o.settings().format() == CNN2DFormat.NCHW
                ? new long[] {o.batch(), 1, side, side} : new long[] {o.batch(), side, side, 1};
        INDArray x = Nd4j.rand(o.settings().dtype(), shape);
        INDArray y = Nd4j.zeros(o.settings().dtype(), o.batch(), classes);
        for (int i = 0; i < o.batch(); i++) {
            y.putScalar(i, (i * 7 + seed) % classes, 1.0);
        }
        return new DataSet(x, y);
    }

    /** One training step on a batch, for either network kind. */
    interface Trainer {
        void fit(DataSet ds);

        String layerClasses();
    }

    private static Trainer trainer(Options o, int side, int classes) {
        if (o.net().equals("resnet20")) {
            ComputationGraphConfiguration conf = CnnBenchNets.resnet20(o.settings(), side, classes);
            if (o.conv().equals("fast")) {
                conf = FastConvolutions.apply(conf);
            }
            if (o.bn().equals("sync")) {
                conf = BnConversion.toSync(conf, 0);
            }
            ComputationGraph g = new ComputationGraph(conf);
            g.init();
            return new Trainer() {
                public void fit(DataSet ds) {
                    g.fit(ds);
                }

                public String layerClasses() {
                    return classes(g.getLayers());
                }
            };
        }
        if (o.net().equals("fashion-cnn")) {
            MultiLayerConfiguration conf = CnnBenchNets.fashionCnn(o.settings(), side, classes);
            if (o.conv().equals("fast")) {
                conf = FastConvolutions.apply(conf);
            }
            if (o.bn().equals("sync")) {
                conf = BnConversion.toSync(conf, 0);
            }
            MultiLayerNetwork n = new MultiLayerNetwork(conf);
            n.init();
            return new Trainer() {
                public void fit(DataSet ds) {
                    n.fit(ds);
                }

                public String layerClasses() {
                    return classes(n.getLayers());
                }
            };
        }
        throw new IllegalArgumentException("unknown net " + o.net() + " (resnet20 | fashion-cnn)");
    }

    private static String classes(Layer[] layers) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Layer l : layers) {
            String helper = l.getHelper() == null ? "" : "+" + l.getHelper().getClass().getSimpleName();
            counts.merge(l.getClass().getSimpleName() + helper, 1, Integer::sum);
        }
        return counts.toString();
    }
}
