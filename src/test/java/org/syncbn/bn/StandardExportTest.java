package org.syncbn.bn;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A trained SyncBN network, exported with {@link BnConversion#toStandard(MultiLayerNetwork)},
 * loads in a separate JVM that has DL4J but none of this project's classes, and its inference
 * output there equals the SyncBN network's own.
 */
class StandardExportTest {

    /** Runs in the child JVM (single-file source launcher): plain DL4J only. */
    private static final String INFER = """
            import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
            import org.deeplearning4j.util.ModelSerializer;
            import org.nd4j.linalg.api.ndarray.INDArray;
            import org.nd4j.linalg.factory.Nd4j;
            import java.io.File;

            public class Infer {
                public static void main(String[] args) throws Exception {
                    for (String name : new String[] {"org.syncbn.bn.SyncBatchNormalization",
                            "org.syncbn.bn.SyncBatchNormalizationLayer"}) {
                        try {
                            Class.forName(name);
                            System.out.println("PROJECT CLASS ON CLASSPATH: " + name);
                            System.exit(3);
                        } catch (ClassNotFoundException expected) {
                            // plain DL4J, as it should be
                        }
                    }
                    MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(new File(args[0]), false);
                    INDArray x = Nd4j.readBinary(new File(args[1]));
                    INDArray y = net.output(x, false);
                    Nd4j.saveBinary(y, new File(args[2]));
                    StringBuilder layers = new StringBuilder();
                    for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
                        layers.append(l.getClass().getName()).append(' ');
                    }
                    System.out.println("LAYERS " + layers.toString().trim());
                }
            }
            """;

    static MultiLayerConfiguration conf() {
        return new NeuralNetConfiguration.Builder().seed(21).dataType(DataType.DOUBLE)
                .updater(new Nesterovs(0.05, 0.9)).weightInit(WeightInit.XAVIER).list()
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().decay(0.5).build())
                .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().decay(0.6).eps(1e-3).useLogStd(false).build())
                .layer(new ActivationLayer.Builder().activation(Activation.SIGMOID).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(4, 4, 2))
                .build();
    }

    static INDArray features(int n, Random rnd) {
        double[] f = new double[n * 32];
        for (int i = 0; i < f.length; i++) {
            f[i] = rnd.nextGaussian() * 2 - 0.7;
        }
        return Nd4j.create(f, new long[] {n, 2, 4, 4}, DataType.DOUBLE);
    }

    @Test
    void exportedSyncBnModelLoadsInPlainDl4jWithoutProjectClassesAndInfersIdentically(@TempDir Path dir)
            throws Exception {
        MultiLayerNetwork init = new MultiLayerNetwork(conf());
        init.init();
        MultiLayerNetwork sync = BnConversion.toSync(init, 0);   // W=1: local collective
        assertTrue(sync.getLayer(1) instanceof SyncBatchNormalizationLayer);
        Random rnd = new Random(4);
        for (int step = 0; step < 4; step++) {
            double[] l = new double[6 * 3];
            for (int i = 0; i < 6; i++) {
                l[i * 3 + rnd.nextInt(3)] = 1;
            }
            sync.fit(new DataSet(features(6, rnd), Nd4j.create(l, new long[] {6, 3}, DataType.DOUBLE)));
        }
        INDArray x = features(5, rnd);
        INDArray expected = sync.output(x, false);

        MultiLayerNetwork standard = BnConversion.toStandard(sync);
        String json = standard.getLayerWiseConfigurations().toJson();
        assertFalse(json.contains("org.syncbn"), "exported configuration names a project class");
        File model = dir.resolve("model.zip").toFile();
        ModelSerializer.writeModel(standard, model, true);
        File in = dir.resolve("input.bin").toFile();
        File out = dir.resolve("output.bin").toFile();
        Nd4j.saveBinary(x, in);
        Path infer = dir.resolve("Infer.java");
        Files.writeString(infer, INFER, StandardCharsets.UTF_8);

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags());
        cmd.add("-cp");
        cmd.add(plainClasspath());
        cmd.add(infer.toString());
        cmd.add(model.getPath());
        cmd.add(in.getPath());
        cmd.add(out.getPath());
        File log = dir.resolve("child.log").toFile();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
        boolean done = p.waitFor(180, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String childLog = Files.readString(log.toPath());
        assertTrue(done, "child JVM timed out:\n" + childLog);
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + childLog);
        assertTrue(childLog.contains("LAYERS "), childLog);
        assertTrue(childLog.contains("org.deeplearning4j.nn.layers.normalization.BatchNormalization"), childLog);

        INDArray actual = Nd4j.readBinary(out);
        assertArrayEquals(expected.shape(), actual.shape());
        double[] e = SyncBnExactnessTest.flat(expected);
        double[] a = SyncBnExactnessTest.flat(actual);
        double max = 0;
        for (int i = 0; i < e.length; i++) {
            max = Math.max(max, Math.abs(e[i] - a[i]));
        }
        assertEquals(0.0, max, "child JVM output differs from the SyncBN network's by " + max + " (expected bitwise)");
    }

    /** The test JVM's classpath without this project's compiled classes. */
    private static String plainClasspath() {
        String sep = File.pathSeparator;
        List<String> kept = Arrays.stream(System.getProperty("java.class.path").split(sep))
                .filter(e -> !e.replace('\\', '/').contains("target/classes")
                        && !e.replace('\\', '/').contains("target/test-classes"))
                .collect(Collectors.toList());
        assertTrue(kept.stream().anyMatch(e -> e.contains("deeplearning4j-nn")),
                "DL4J not found on java.class.path: " + System.getProperty("java.class.path"));
        return String.join(sep, kept);
    }

    /** The project's --add-opens flags (pom.xml java17.opens) and javacpp cache of the surefire argLine. */
    private static List<String> jvmFlags() throws IOException {
        List<String> flags = new ArrayList<>();
        for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("-Dorg.bytedeco.javacpp.cachedir")
                    || arg.equals("-XX:+IgnoreUnrecognizedVMOptions") || arg.startsWith("-Djdk.reflect")) {
                flags.add(arg);
            }
        }
        if (flags.stream().noneMatch(f -> f.startsWith("--add-opens"))) {
            // not started by surefire: the flags from pom.xml
            flags.addAll(List.of("--add-opens=java.base/java.lang=ALL-UNNAMED",
                    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                    "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED"));
        }
        flags.add("-Xmx1g");
        return flags;
    }
}
