package org.syncbn.train;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.ml.feature.VectorAssembler;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.ml.SyncBnClassificationModel;
import org.syncbn.ml.SyncBnClassifier;
import org.syncbn.testing.TestSpark;
import org.syncbn.testing.TinyTables;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Same spec and seed, same bits: the final parameters and updater state of a set of small runs
 * covering every BN mode, updater, dtype, variance parameterisation, the CNN, PreciseBN, the
 * learning-rate rules and the Spark ML stage are compared with SHA-256 digests recorded by the code
 * of commit 4f67c91 (before the training core was rewired), except the float CNN's (cnn-sync),
 * recorded again when its convolutions moved to oneDNN 2.5.2 (another summation order in float;
 * oneDNN's kernels follow the CPU's instruction set, AVX-512 on the machine that recorded it), and the
 * two train.sync = gradients runs, recorded by d783385 before the gradient copy went native. A
 * refactoring that changes one bit of any result fails here. Native threads are pinned
 * (train.threadsPerWorker = 1) so the digests do not depend on the core count.
 *
 * <p>To record the digests anew (only for a change that alters results on purpose, said in its
 * commit): {@code mvn test -Dtest=BitwiseStabilityTest -Dsyncbn.golden.write=src/test/resources/golden/runs.properties}.
 */
class BitwiseStabilityTest {
    private static final String GOLDEN = "/golden/runs.properties";

    @TempDir
    Path tmp;

    private static Map<String, List<String>> cases() {
        Map<String, List<String>> c = new LinkedHashMap<>();
        c.put("mlp-sync-adam", List.of("bn.mode=sync", "train.workers=2", "optim.updater=adam"));
        c.put("mlp-local-uneven-nesterovs-var", List.of("bn.mode=local", "train.workers=3", "data.maxTrainExamples=700",
                "optim.updater=nesterovs", "optim.lr=0.01", "bn.useLogStd=false", "train.stepsPerRound=4"));
        c.put("mlp-group2-sgd-l2", List.of("bn.mode=\"group:2\"", "train.workers=4", "optim.updater=sgd",
                "optim.lr=0.05", "optim.l2=1e-4"));
        c.put("mlp-ghost8-double", List.of("bn.mode=\"ghost:8\"", "train.workers=2", "dtype=double"));
        c.put("mlp-sync-schedule", List.of("bn.mode=sync", "train.workers=2", "optim.lrScaling=linear",
                "optim.baseBatch=32", "optim.warmupEpochs=0.5", "optim.decay=cosine", "train.epochs=2"));
        c.put("mlp-sync-precise", List.of("bn.mode=sync", "train.workers=2", "bn.precise.examples=300"));
        c.put("cnn-sync", List.of("model.type=cnn", "model.convChannels=[4,8]", "model.convKernel=3",
                "model.hidden=[16]", "bn.mode=sync", "train.workers=2", "data.maxTrainExamples=256",
                "train.batchPerWorker=16"));
        c.put("cnn-local-double", List.of("model.type=cnn", "model.convChannels=[4]", "model.convKernel=5",
                "model.hidden=[8]", "bn.mode=local", "train.workers=2", "data.maxTrainExamples=192",
                "train.batchPerWorker=16", "dtype=double", "optim.updater=sgd", "optim.lr=0.05"));
        c.put("mlp-gradients-uneven-adam", List.of("train.sync=gradients", "bn.mode=sync", "train.workers=3",
                "data.maxTrainExamples=700", "optim.updater=adam"));
        c.put("mlp-gradients-double-nesterovs", List.of("train.sync=gradients", "bn.mode=sync", "train.workers=2",
                "dtype=double", "optim.updater=nesterovs", "optim.lr=0.01"));
        return c;
    }

    private static JobSpec spec(List<String> extra) {
        List<String> sets = new ArrayList<>(List.of("data.dir=\"" + TestSpark.fashionMnistDir() + "\"",
                "data.maxTrainExamples=640", "data.maxTestExamples=100", "train.batchPerWorker=32",
                "train.epochs=1", "train.stepsPerRound=5", "train.threadsPerWorker=1", "model.hidden=[16,8]",
                "name=golden"));
        sets.addAll(extra);
        return JobSpecLoader.load(null, sets);
    }

    @Test
    void everyRecordedRunEndsWithBitwiseTheParametersAndUpdaterStateRecordedBeforeTheRedesign() throws Exception {
        Map<String, String> digests = new TreeMap<>();
        for (Map.Entry<String, List<String>> c : cases().entrySet()) {
            Path out = tmp.resolve(c.getKey());
            TrainingRun.of(TestSpark.context(), spec(c.getValue())).writingTo(out.toString()).run();
            MultiLayerNetwork saved = ModelSerializer.restoreMultiLayerNetwork(out.resolve("model.zip").toFile(), true);
            digests.put(c.getKey() + ".params", digest(saved.params().toDoubleVector()));
            digests.put(c.getKey() + ".updater", saved.getUpdater().getStateViewArray() == null ? "none"
                    : digest(saved.getUpdater().getStateViewArray().toDoubleVector()));
        }
        digests.put("ml-stage.params", digest(mlStageParams()));
        check(digests);
    }

    /** The resolved spec text (what checkpoints, provenance and submit.sh carry) stays byte for byte the same. */
    @Test
    void resolvedSpecsRenderExactlyAsBeforeTheRedesign() throws Exception {
        Path project = Path.of(System.getProperty("syncbn.projectDir", "."));
        Map<String, JobSpec> specs = new LinkedHashMap<>();
        specs.put("defaults", JobSpecLoader.load(null, List.of()));
        specs.put("fashion-mlp-w4", JobSpecLoader.load(project.resolve("jobs/fashion-mlp.conf"),
                List.of("train.workers=4", "bn.mode=\"GROUP:2\"", "data.featureCols=[a, b]", "optim.decayEpochs=[1, 2.5]")));
        specs.put("fashion-cnn", JobSpecLoader.load(project.resolve("jobs/fashion-cnn.conf"), List.of()));
        String write = System.getProperty("syncbn.golden.write", "");
        for (Map.Entry<String, JobSpec> e : specs.entrySet()) {
            String file = "spec-" + e.getKey() + ".conf";
            if (!write.isEmpty()) {
                Files.writeString(Path.of(write).resolveSibling(file), e.getValue().resolvedHocon());
                continue;
            }
            try (var in = BitwiseStabilityTest.class.getResourceAsStream("/golden/" + file)) {
                assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), e.getValue().resolvedHocon(), file);
            }
        }
    }

    /** The Spark ML estimator on a tiny table (its own spec path, the round loop underneath). */
    private double[] mlStageParams() throws Exception {
        SparkSession spark = SparkSession.builder().sparkContext(TestSpark.context().sc()).getOrCreate();
        Path csv = TinyTables.writeCsv(tmp.resolve("train.csv"), 200, 7);
        Dataset<Row> table = spark.read().option("header", "true").option("inferSchema", "true").csv(csv.toString());
        Dataset<Row> df = new VectorAssembler().setInputCols(TinyTables.FEATURES).setOutputCol("features")
                .transform(table);
        SyncBnClassificationModel model = new SyncBnClassifier().setWorkers(2).setBatchPerWorker(16).setEpochs(2)
                .setStepsPerRound(3).setHiddenLayers(8).setLearningRate(0.01).setSeed(11).fit(df);
        return model.network().params();
    }

    private static void check(Map<String, String> actual) throws Exception {
        String write = System.getProperty("syncbn.golden.write", "");
        if (!write.isEmpty()) {
            Properties p = new Properties();
            p.putAll(actual);
            try (var w = Files.newBufferedWriter(Path.of(write), StandardCharsets.UTF_8)) {
                p.store(w, "SHA-256 of final parameters / updater state (BitwiseStabilityTest)");
            }
            return;
        }
        Properties expected = new Properties();
        try (var in = BitwiseStabilityTest.class.getResourceAsStream(GOLDEN)) {
            expected.load(in);
        }
        Map<String, String> want = new TreeMap<>();
        expected.forEach((k, v) -> want.put((String) k, (String) v));
        assertEquals(want, actual);
    }

    private static String digest(double[] values) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(values.length * Double.BYTES);
        for (double v : values) {
            buf.putLong(Double.doubleToRawLongBits(v));
        }
        return values.length + ":" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(buf.array()));
    }
}
