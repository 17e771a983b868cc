package org.syncbn.model;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.cli.Main;
import org.syncbn.testing.TestSpark;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A network a job cannot train is bad input: one line naming the file or layer and what was expected,
 * exit 2, nothing written to the output directory.
 */
class ModelSourceErrorsTest {
    @TempDir
    Path tmp;

    /** A layer class that is not DL4J's own: what it does with a batch is unknown. */
    public static class CustomDense extends DenseLayer {
        public CustomDense() {
        }
    }

    /** A BatchNormalization variant the project does not know. */
    public static class OtherBatchNorm extends BatchNormalization {
        public OtherBatchNorm() {
        }
    }

    private String fails(String... sets) {
        TestSpark.context();
        Path out = tmp.resolve("out-" + System.nanoTime());
        java.util.List<String> argv = new java.util.ArrayList<>(java.util.List.of("train",
                Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf").toString(), "--out", out.toString(),
                "--set", "data.dir=\"" + TestSpark.fashionMnistDir() + "\"", "--set", "data.maxTrainExamples=64",
                "--set", "data.maxTestExamples=32", "--set", "bn.mode=sync"));
        for (String s : sets) {
            argv.add("--set");
            argv.add(s);
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(argv.toArray(String[]::new), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String[] lines = err.toString(StandardCharsets.UTF_8).split("\n");
        String last = lines[lines.length - 1];
        assertEquals(2, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(last.startsWith("error: "), last);
        assertFalse(Files.exists(out.resolve("model.zip")) || Files.exists(out.resolve("checkpoint.zip")),
                "nothing written");
        return last;
    }

    private Path file(String name, String text) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static String mlp(org.deeplearning4j.nn.conf.layers.Layer hidden, int nIn) {
        return new NeuralNetConfiguration.Builder().seed(1).list().layer(hidden)
                .layer(new BatchNormalization.Builder().build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.feedForward(nIn)).build().toJson();
    }

    @Test
    void aJsonThatIsNotADl4jConfigurationNamesTheFile() throws Exception {
        Path p = file("other.json", "{\"hello\": 1}");
        String e = fails("model.type=file", "model.file=\"" + p + "\"");
        assertTrue(e.contains("model.file = " + p) && e.contains("configuration JSON"), e);
    }

    @Test
    void aZipThatIsNotAModelNamesTheFile() throws Exception {
        Path p = tmp.resolve("other.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            z.putNextEntry(new ZipEntry("readme.txt"));
            z.write("not a model".getBytes(StandardCharsets.UTF_8));
        }
        String e = fails("model.type=file", "model.file=\"" + p + "\"");
        assertTrue(e.contains("model.file = " + p) && e.contains("not a DL4J model zip"), e);
    }

    @Test
    void aNetworkWhoseInputDoesNotMatchTheDataNamesTheShapes() throws Exception {
        Path p = file("narrow.json", mlp(new DenseLayer.Builder().nOut(8).build(), 100));
        String e = fails("model.type=file", "model.file=\"" + p + "\"");
        assertTrue(e.contains("does not take the data's 784 features"), e);
    }

    @Test
    void anUnknownZooNameListsTheOfferedOnes() {
        String e = fails("model.type=zoo", "model.zoo=vgg99");
        assertTrue(e.contains("model.zoo = \"vgg99\": expected one of resnet50, squeezenet, darknet19, simplecnn, lenet"), e);
    }

    @Test
    void aCustomLayerClassAndAnUnknownBatchNormVariantAreRefusedNamingTheLayer() throws Exception {
        CustomDense custom = new CustomDense();
        custom.setNOut(8);
        custom.setLayerName("mine");
        String e = fails("model.type=file", "model.file=\"" + file("custom.json", mlp(custom, 784)) + "\"");
        assertTrue(e.contains("layer 'mine'") && e.contains(CustomDense.class.getName()), e);

        String bn = mlp(new DenseLayer.Builder().nOut(8).build(), 784)
                .replace("\"org.deeplearning4j.nn.conf.layers.BatchNormalization\"", "\"" + OtherBatchNorm.class.getName() + "\"");
        String e2 = fails("model.type=file", "model.file=\"" + file("variant.json", bn) + "\"");
        assertTrue(e2.contains("BatchNormalization variant"), e2);
    }

    @Test
    void aResnetDepthThatIsNot6nPlus2IsRefusedBeforeAnythingRuns() {
        String e = fails("model.type=resnet", "model.depth=21");
        assertTrue(e.contains("model.depth = 21") && e.contains("6n+2"), e);
    }
}
