package org.syncbn.cli;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.config.JobSpec;
import org.syncbn.config.JobSpecLoader;
import org.syncbn.experiment.CellResult;
import org.syncbn.experiment.SweepRunner;
import org.syncbn.experiment.SweepSpecLoader;
import org.syncbn.ml.SyncBnClassificationModel;
import org.syncbn.ml.SyncBnClassifier;
import org.syncbn.retrain.Retrain;
import org.syncbn.retrain.RetrainListener;
import org.syncbn.retrain.RetrainResult;
import org.syncbn.store.LocalFileStore;
import org.syncbn.testing.Cli;
import org.syncbn.testing.Snapshots;
import org.syncbn.testing.TestSpark;
import org.syncbn.testing.TinyTables;
import org.syncbn.train.TrainingRun;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ComputationGraph goes wherever a MultiLayerNetwork goes: train with PreciseBN, checkpoint and
 * resume (bitwise), evaluate, precise-bn, predict on a table, retrain into the registry, a two-cell
 * sweep, and the Spark ML Pipeline.
 */
class GraphOnEveryPathTest {
    @TempDir
    Path tmp;

    private static final String[] SLICE = {"--set", "data.dir=\"" + fashion() + "\"", "--set", "data.maxTrainExamples=192",
            "--set", "data.maxTestExamples=64", "--set", "model.type=resnet", "--set", "model.depth=8",
            "--set", "train.batchPerWorker=16", "--set", "train.epochs=1", "--set", "train.stepsPerRound=3",
            "--set", "bn.mode=sync"};

    private static String fashion() {
        return TestSpark.fashionMnistDir();
    }

    private static String job() {
        return Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf").toString();
    }

    private static String[] args(String[] head, String... tail) {
        String[] out = java.util.Arrays.copyOf(head, head.length + SLICE.length + tail.length);
        System.arraycopy(SLICE, 0, out, head.length, SLICE.length);
        System.arraycopy(tail, 0, out, head.length + SLICE.length, tail.length);
        return out;
    }

    @Test
    void aResidualGraphTrainsResumesEvaluatesAndRecomputesItsStatistics() throws Exception {
        TestSpark.context();
        Path run = tmp.resolve("run");
        Cli.Result t = Cli.run(args(new String[] {"train", job(), "--out", run.toString()},
                "--set", "bn.precise.examples=64"));
        assertEquals(0, t.code(), t.err());
        ComputationGraph trained = ModelSerializer.restoreComputationGraph(run.resolve("model.zip").toFile(), false);

        Cli.Result e = Cli.run("evaluate", run.resolve("model.zip").toString(), "--data", fashion(),
                "--set", "data.maxTestExamples=64");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("accuracy"), e.out());

        Cli.Result p = Cli.run("precise-bn", run.resolve("model.zip").toString(), "--examples", "96",
                "--out", tmp.resolve("precise.zip").toString(), "--set", "data.maxTrainExamples=192",
                "--set", "data.maxTestExamples=64");
        assertEquals(0, p.code(), p.err());
        assertEquals(trained.numParams(),
                ModelSerializer.restoreComputationGraph(tmp.resolve("precise.zip").toFile(), false).numParams());

        // a crash after round 2 of 4, then --resume: bitwise the uninterrupted run's parameters
        JobSpec spec = JobSpecLoader.load(Path.of(job()), List.of("data.dir=\"" + fashion() + "\"",
                "data.maxTrainExamples=192", "data.maxTestExamples=64", "model.type=resnet", "model.depth=8",
                "train.batchPerWorker=16", "train.epochs=1", "train.stepsPerRound=2", "checkpoint.everyRounds=1"));
        double[] whole = TrainingRun.of(TestSpark.context(), spec).writingTo(tmp.resolve("whole").toString()).run()
                .finalParams();
        Path crashed = tmp.resolve("crashed");
        try {
            TrainingRun.of(TestSpark.context(), spec).writingTo(crashed.toString()).afterEachRound((r, s) -> {
                if (r.round() == 1) {
                    throw new IllegalStateException("crash");
                }
            }).run();
        } catch (IllegalStateException expected) {
            // the checkpoint of round 2 is on disk
        }
        double[] resumed = TrainingRun.resume(TestSpark.context(), crashed.toString()).run().finalParams();
        assertArrayEquals(whole, resumed, 0.0);
    }

    /** A graph over the four columns of the tiny tables: dense -> BN, dense -> BN, added, softmax. */
    static ComputationGraphConfiguration tableGraph() {
        return new NeuralNetConfiguration.Builder().seed(2).updater(new Adam(0.01)).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(4))
                .addLayer("a", new DenseLayer.Builder().nOut(12).activation(Activation.IDENTITY).build(), "in")
                .addLayer("a_bn", new BatchNormalization.Builder().build(), "a")
                .addLayer("b", new DenseLayer.Builder().nOut(12).activation(Activation.IDENTITY).build(), "in")
                .addLayer("b_bn", new BatchNormalization.Builder().build(), "b")
                .addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "a_bn", "b_bn")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "sum")
                .setOutputs("out").build();
    }

    @Test
    void aGraphTrainedOnATablePredictsAndFitsAsASparkMlStage() throws Exception {
        SparkSession spark = SparkSession.builder().sparkContext(TestSpark.context().sc()).getOrCreate();
        TinyTables.writeCsv(tmp.resolve("train.csv"), 300, 5);
        TinyTables.writeCsv(tmp.resolve("test.csv"), 100, 6);
        Path graph = Files.writeString(tmp.resolve("graph.json"), tableGraph().toJson());
        Path job = Files.writeString(tmp.resolve("csv.conf"), """
                name = csvgraph
                data { format = csv, dir = "%s", trainFile = train.csv, testFile = test.csv
                       featureCols = [x1, x2, x3, x4], numClasses = 3 }
                model { type = file, file = "%s" }
                bn.mode = sync
                train { epochs = 2, batchPerWorker = 16, stepsPerRound = 5 }
                """.formatted(tmp, graph));
        Cli.Result t = Cli.run("train", job.toString(), "--out", tmp.resolve("run").toString());
        assertEquals(0, t.code(), t.err());
        Cli.Result p = Cli.run("predict", tmp.resolve("run/model.zip").toString(), tmp.resolve("test.csv").toString(),
                tmp.resolve("pred").toString(), "--format", "csv", "--id-cols", "id", "--features", "x1,x2,x3,x4");
        assertEquals(0, p.code(), p.err());

        Dataset<Row> table = spark.read().option("header", "true").option("inferSchema", "true")
                .csv(tmp.resolve("train.csv").toString());
        SyncBnClassifier stage = new SyncBnClassifier().setModelType("file").setModelFile(graph.toString())
                .setWorkers(2).setBatchPerWorker(16).setEpochs(2).setStepsPerRound(5).setBnMode("sync");
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {
                new VectorAssembler().setInputCols(TinyTables.FEATURES).setOutputCol("features"), stage}).fit(table);
        SyncBnClassificationModel fitted = (SyncBnClassificationModel) model.stages()[1];
        assertEquals(3, fitted.numClasses());
        assertTrue(fitted.network().network().dl4j() instanceof ComputationGraph);
        String dir = tmp.resolve("pipeline").toString();
        model.write().overwrite().save(dir);
        List<Row> before = model.transform(table).select("prediction").collectAsList();
        List<Row> after = PipelineModel.load(dir).transform(table).select("prediction").collectAsList();
        assertEquals(before, after);
    }

    @Test
    void aGraphRetrainsIntoTheRegistryAndSweepsOverBnModes() throws Exception {
        LocalDate day = LocalDate.of(2026, 11, 24);
        Snapshots.write(tmp.resolve("snapshots").resolve(day.toString()), 0, 192, 64, i -> i);
        Snapshots.write(tmp.resolve("snapshots").resolve(day.plusDays(1).toString()), 192, 192, 64, i -> i);
        List<String> sets = List.of("retrain.registry=\"" + tmp.resolve("registry") + "\"",
                "retrain.snapshotRoot=\"" + tmp.resolve("snapshots") + "\"", "retrain.model=graph",
                "retrain.maxRegression=1", "model.type=resnet", "model.depth=8", "train.batchPerWorker=16",
                "train.epochs=1", "train.stepsPerRound=3");
        JobSpec spec = JobSpecLoader.load(Path.of(System.getProperty("syncbn.projectDir", "."),
                "jobs/retrain-nightly.conf"), sets);
        PrintStream log = new PrintStream(new ByteArrayOutputStream());
        RetrainResult first = Retrain.run(TestSpark.context(), new Retrain.Request(spec, day, false, log,
                RetrainListener.NONE));
        assertEquals(RetrainResult.Outcome.PROMOTED, first.outcome(), first.message());
        RetrainResult second = Retrain.run(TestSpark.context(), new Retrain.Request(spec, day.plusDays(1), false, log,
                RetrainListener.NONE));
        assertEquals(2, second.version(), second.message());   // warm-started from the graph in CURRENT

        Path sweep = Files.writeString(tmp.resolve("sweep.conf"), """
                name = graph-sweep
                data { dir = "%s", maxTrainExamples = 96, maxTestExamples = 32 }
                model { type = resnet, depth = 8 }
                train { workers = 2, batchPerWorker = 16, epochs = 1, stepsPerRound = 3 }
                sweep { axes = [ { key = bn.mode, values = [local, sync] } ] }
                """.formatted(fashion()));
        List<CellResult> rows = new SweepRunner(TestSpark.context(), log)
                .run(SweepSpecLoader.load(sweep, List.of()), new LocalFileStore(tmp.resolve("sweep-out")));
        assertEquals(2, rows.size());
        assertTrue(Files.isRegularFile(tmp.resolve("sweep-out/results.csv")));
    }
}
