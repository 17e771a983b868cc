package org.syncbn.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class JobSpecLoaderTest {

    private static final String TRAIN_KEYS = "batchPerWorker, epochs, evalEveryEpochs, roundAttempts, stepsPerRound, sync, threadsPerWorker, workers";
    private static final String TOP_KEYS = "bn, checkpoint, collective, data, dtype, model, name, optim, retrain, seed, spark, train";

    @TempDir
    Path dir;

    /** The pom points java.io.tmpdir at target/test-tmp, which nothing else creates in a clean build. */
    @BeforeAll
    static void createTmpDir() throws IOException {
        Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
    }

    private Path job(String text) throws IOException {
        Path file = dir.resolve("job.conf");
        Files.writeString(file, text);
        return file;
    }

    private static JobSpec sets(String... sets) {
        return JobSpecLoader.load(null, List.of(sets));
    }

    private static String error(Supplier<JobSpec> load) {
        String message = assertThrows(SpecException.class, load::get).getMessage();
        assertFalse(message.contains("\n") || message.contains("\r"), () -> "multi-line message: " + message);
        return message;
    }

    private static String setError(String... sets) {
        return error(() -> sets(sets));
    }

    private String fileError(String text) throws IOException {
        Path file = job(text);
        return error(() -> JobSpecLoader.load(file, List.of()));
    }

    // ---- layering ----------------------------------------------------------------------------

    @Test
    void defaultsLoadAndEqualTheDocumentedValues() {
        JobSpec spec = sets();
        JobSpec documented = new JobSpec("job", 42L, JobSpec.Dtype.FLOAT,
                new JobSpec.DataSpec(JobSpec.DataFormat.IDX, "/usr/share/datasets/fashion-mnist",
                        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "", "", List.of(), "label",
                        List.of(), JobSpec.CifarLabels.FINE, 10, List.of(), true, 0, 0),
                new JobSpec.ModelSpec(JobSpec.ModelType.MLP, List.of(256, 128), List.of(32, 64), 5,
                        JobSpec.Activation.RELU, JobSpec.WeightInit.XAVIER, 20, JobSpec.ZooName.RESNET50, ""),
                new JobSpec.BnSpec(org.syncbn.bn.BnMode.parse("local"), 0.9, 1e-5, true,
                        JobSpec.RunningStats.DL4J, new JobSpec.PreciseSpec(0)),
                new JobSpec.TrainSpec(2, 64, 3, 47, 1, 3, 0, JobSpec.SyncMode.PARAMETERS),
                new JobSpec.OptimSpec(JobSpec.Updater.ADAM, 1e-3, 0.9, 0.0, JobSpec.LrScaling.NONE, 256, 0.0,
                        JobSpec.LrDecay.NONE, 0.1, List.of()),
                new JobSpec.CheckpointSpec(0),
                new JobSpec.SparkSpec("", 30),
                new JobSpec.CollectiveSpec(120, JobSpec.Rendezvous.DRIVER, true),
                new JobSpec.RetrainSpec("registry", "", "", "", "", 0.005, 600));
        assertEquals(documented, spec);
        assertEquals(128, spec.globalBatch());
    }

    @Test
    void jobFileOverridesDefaults() throws IOException {
        Path file = job("""
                name = fmnist-small
                dtype = double
                train { workers = 4, epochs = 1 }
                model.hidden = [32]
                optim { updater = sgd, lr = 0.05 }
                """);
        JobSpec spec = JobSpecLoader.load(file, List.of());
        assertEquals("fmnist-small", spec.name());
        assertEquals(JobSpec.Dtype.DOUBLE, spec.dtype());
        assertEquals(4, spec.train().workers());
        assertEquals(1, spec.train().epochs());
        assertEquals(List.of(32), spec.model().hidden());
        assertEquals(JobSpec.Updater.SGD, spec.optim().updater());
        assertEquals(0.05, spec.optim().lr());
        // untouched keys of an overridden section keep their defaults
        assertEquals(64, spec.train().batchPerWorker());
        assertEquals(0.9, spec.optim().momentum());
    }

    @Test
    void jobFileMaySubstituteOtherKeys() throws IOException {
        JobSpec spec = JobSpecLoader.load(job("train.epochs = ${train.workers}\ntrain.workers = 5\n"), List.of());
        assertEquals(5, spec.train().epochs());
    }

    @Test
    void setOverridesJobFileAndLaterSetWins() throws IOException {
        Path file = job("train.workers = 4\ntrain.epochs = 7\n");
        JobSpec spec = JobSpecLoader.load(file, List.of("train.workers=8", "optim.lr = 0.5", "optim.lr=0.25"));
        assertEquals(8, spec.train().workers());
        assertEquals(7, spec.train().epochs());
        assertEquals(0.25, spec.optim().lr());
    }

    @Test
    void setParsesBareAndQuotedStrings() {
        JobSpec spec = sets("name=foo", "spark.master=\"local[4]\"", "data.dir=/data/fm");
        assertEquals("foo", spec.name());
        assertEquals("local[4]", spec.spark().master());
        assertEquals("/data/fm", spec.data().dir());
    }

    @Test
    void setWithBareNumberForStringKeyKeepsItsText() {
        assertEquals("007", sets("name=007").name());
        assertEquals("2024", sets("name=2024").name());
    }

    @Test
    void setParsesListValue() {
        assertEquals(List.of(64, 32), sets("model.hidden=[64,32]").model().hidden());
        assertEquals(List.of(7), sets("model.hidden = [ 7 ]").model().hidden());
    }

    @Test
    void setMaySetAWholeSectionMergedWithDefaults() {
        JobSpec spec = sets("train={workers: 3, epochs: 9}");
        assertEquals(3, spec.train().workers());
        assertEquals(9, spec.train().epochs());
        assertEquals(47, spec.train().stepsPerRound());
    }

    @Test
    void choiceKeysIgnoreCaseAndAreStoredCanonically() {
        JobSpec spec = sets("dtype=DOUBLE", "model.activation=LeakyReLU", "optim.updater=Adam");
        assertEquals(JobSpec.Dtype.DOUBLE, spec.dtype());
        assertEquals(JobSpec.Activation.LEAKYRELU, spec.model().activation());
        assertEquals(JobSpec.Updater.ADAM, spec.optim().updater());
    }

    // ---- unknown keys, types, ranges ---------------------------------------------------------

    @Test
    void unknownNestedKeyRejectedWithKeyAndFileInMessage() throws IOException {
        Path file = job("train {\n  wrokers = 2\n}\n");
        assertEquals(file + ": unknown key 'train.wrokers' (known keys in 'train': " + TRAIN_KEYS + ")",
                error(() -> JobSpecLoader.load(file, List.of())));
    }

    @Test
    void unknownTopLevelKeyRejectedWithKeyInMessage() {
        assertEquals("--set: unknown key 'trian' (known top-level keys: " + TOP_KEYS + ")",
                setError("trian.workers=2"));
        assertEquals("--set: unknown key 'verbose' (known top-level keys: " + TOP_KEYS + ")",
                setError("verbose=true"));
    }

    @Test
    void sectionReplacedByScalarRejected() {
        assertEquals("--set: train = 5: expected a section with keys " + TRAIN_KEYS, setError("train=5"));
    }

    @Test
    void wrongTypeRejectedNamingFileKeyAndValue() throws IOException {
        Path file = job("train.workers = \"two\"\n");
        assertEquals(file + ": train.workers = \"two\": expected an integer in [1, 4096]",
                error(() -> JobSpecLoader.load(file, List.of())));
    }

    static Stream<Arguments> wrongTypes() {
        return Stream.of(
                Arguments.of("train.workers=\"4\"", "train.workers = \"4\": expected an integer in [1, 4096]"),
                Arguments.of("train.epochs=null", "train.epochs = null: expected an integer >= 1"),
                Arguments.of("data.shuffle=yes", "data.shuffle = \"yes\": expected true or false"),
                Arguments.of("bn.useLogStd=1", "bn.useLogStd = 1: expected true or false"),
                Arguments.of("optim.lr=fast", "optim.lr = \"fast\": expected a finite number > 0"),
                Arguments.of("seed=1.5", "seed = 1.5: expected a 64-bit integer"),
                Arguments.of("seed=99999999999999999999", "seed = \"99999999999999999999\": expected a 64-bit integer"),
                Arguments.of("model.hidden=64",
                        "model.hidden = 64: expected a non-empty list of integers >= 1, e.g. [256, 128]"),
                Arguments.of("model.hidden=[64,x]",
                        "model.hidden = [64,\"x\"]: expected a non-empty list of integers >= 1, e.g. [256, 128]"),
                Arguments.of("name=[a]", "name = [\"a\"]: expected a non-empty string of letters, digits, '.', '_' or '-'"),
                Arguments.of("spark.master={a: 1}", "spark.master = {\"a\":1}: expected a string"));
    }

    @Test
    void tableFormatsNeedTrainAndTestFilesAndKeepTheirColumns() {
        assertEquals("data.trainFile is empty: data.format = csv needs the training file's name",
                setError("data.format=csv"));
        assertEquals("data.testFile is empty: data.format = parquet needs the test file's name",
                setError("data.format=parquet", "data.trainFile=train.parquet"));
        JobSpec spec = sets("data.format=CSV", "data.trainFile=a.csv", "data.testFile=b.csv",
                "data.featureCols=[x1, x2]", "data.labelCol=y");
        assertEquals(JobSpec.DataFormat.CSV, spec.data().format());
        assertEquals(List.of("x1", "x2"), spec.data().featureCols());
        assertEquals("y", spec.data().labelCol());
        assertEquals(spec, JobSpecLoader.fromResolved(spec.resolvedHocon()));
    }

    @Test
    void imageShapeIsCHWAndCifarIsAFileFormatWithItsOwnShape() {
        JobSpec table = sets("data.format=csv", "data.trainFile=a.csv", "data.testFile=b.csv",
                "data.imageShape=[3, 8, 4]");
        assertEquals(List.of(3, 8, 4), table.data().imageShape());
        assertEquals(table, JobSpecLoader.fromResolved(table.resolvedHocon()));
        assertTrue(table.resolvedHocon().contains("imageShape"), table.resolvedHocon());

        JobSpec cifar = sets("data.format=cifar", "data.dir=/data/cifar-100-binary", "data.cifarLabels=COARSE",
                "data.numClasses=20");
        assertFalse(cifar.data().isTable(), "cifar reads whole files, it needs no trainFile/testFile");
        assertEquals(JobSpec.CifarLabels.COARSE, cifar.data().cifarLabels());
        assertEquals(cifar, JobSpecLoader.fromResolved(cifar.resolvedHocon()));
        assertEquals(List.of(3, 32, 32), sets("data.format=cifar", "data.imageShape=[3,32,32]").data().imageShape());
        assertEquals("data.imageShape = [1, 32, 32]: data.format = cifar images are [3, 32, 32]: expected [] or "
                + "[3, 32, 32]", setError("data.format=cifar", "data.imageShape=[1,32,32]"));
        assertEquals("data.imageShape = [65536, 65536, 2]: 8589934592 features per example, expected at most "
                + (Integer.MAX_VALUE - 8), setError("data.imageShape=[65536,65536,2]"));
    }

    @Test
    void aSpecRecordedBeforeTheImageKeysExistedStillLoadsWithTheirDefaults() {
        JobSpec now = sets();
        String before = now.resolvedHocon().replaceAll("(?m)^\\s*(cifarLabels|imageShape)=.*\\R", "");
        assertFalse(before.contains("imageShape") || before.contains("cifarLabels"), before);
        assertEquals(now, JobSpecLoader.fromResolved(before));
    }

    @Test
    void withDirKeepsEveryOtherDataKey() {
        JobSpec.DataSpec d = sets("data.imageShape=[1,28,28]", "data.numClasses=7", "data.maxTestExamples=5").data();
        JobSpec.DataSpec moved = d.withDir("/elsewhere");
        assertEquals("/elsewhere", moved.dir());
        assertEquals(d, moved.withDir(d.dir()));
        assertNotEquals(d, moved);
    }

    @ParameterizedTest
    @MethodSource("wrongTypes")
    void wrongTypeRejectedNamingKeyAndValue(String set, String expected) {
        assertEquals("--set: " + expected, setError(set));
    }

    static Stream<Arguments> outOfRange() {
        String list = "a non-empty list of integers >= 1, e.g. [256, 128]";
        String shape = "[] or [C, H, W]: three integers >= 1, e.g. [3, 32, 32]";
        return Stream.of(
                Arguments.of("name=\"\"", "name = \"\": expected a non-empty string of letters, digits, '.', '_' or '-'"),
                Arguments.of("name=\"a b\"", "name = \"a b\": expected a non-empty string of letters, digits, '.', '_' or '-'"),
                Arguments.of("dtype=half", "dtype = \"half\": expected one of float, double"),
                Arguments.of("data.format=orc", "data.format = \"orc\": expected one of idx, cifar, csv, libsvm, parquet"),
                Arguments.of("data.imageShape=[3,32]", "data.imageShape = [3,32]: expected " + shape),
                Arguments.of("data.imageShape=[1,28,28,1]", "data.imageShape = [1,28,28,1]: expected " + shape),
                Arguments.of("data.imageShape=[0,28,28]", "data.imageShape = [0,28,28]: expected " + shape),
                Arguments.of("data.imageShape=[1,28,2.5]", "data.imageShape = [1,28,2.5]: expected " + shape),
                Arguments.of("data.imageShape=3", "data.imageShape = 3: expected " + shape),
                Arguments.of("data.cifarLabels=superclass",
                        "data.cifarLabels = \"superclass\": expected one of fine, coarse"),
                Arguments.of("data.featureCols=[1]", "data.featureCols = [1]: expected a list of column names, e.g. [\"x1\", \"x2\"] (or [] for all)"),
                Arguments.of("data.dir=\"\"", "data.dir = \"\": expected a non-empty string"),
                Arguments.of("data.testLabels=\"\"", "data.testLabels = \"\": expected a non-empty string"),
                Arguments.of("data.numClasses=1", "data.numClasses = 1: expected an integer >= 2"),
                Arguments.of("data.maxTrainExamples=-1", "data.maxTrainExamples = -1: expected an integer >= 0"),
                Arguments.of("data.maxTestExamples=3000000000", "data.maxTestExamples = 3000000000: expected an integer >= 0"),
                Arguments.of("model.type=rnn", "model.type = \"rnn\": expected one of mlp, cnn, resnet, zoo, file"),
                Arguments.of("model.convKernel=0", "model.convKernel = 0: expected an integer in [1, 99]"),
                Arguments.of("collective.timeoutSec=0", "collective.timeoutSec = 0: expected an integer in [1, 86400]"),
                Arguments.of("collective.rendezvous=mpi", "collective.rendezvous = \"mpi\": expected one of driver, barrier"),
                Arguments.of("retrain.maxRegression=1.5", "retrain.maxRegression = 1.5: expected a number in [0, 1]"),
                Arguments.of("retrain.lockStaleSec=1", "retrain.lockStaleSec = 1: expected an integer in [10, 604800]"),
                Arguments.of("retrain.registry=\"\"", "retrain.registry = \"\": expected a non-empty string"),
                Arguments.of("retrain.model=\"a/b\"", "retrain.model = \"a/b\": expected \"\" (the job's name)"
                        + " or a string of letters, digits, '.', '_' or '-'"),
                Arguments.of("model.hidden=[]", "model.hidden = []: expected " + list),
                Arguments.of("model.hidden=[64,0]", "model.hidden = [64,0]: expected " + list),
                Arguments.of("model.activation=softmax",
                        "model.activation = \"softmax\": expected one of relu, tanh, sigmoid, leakyrelu, elu"),
                Arguments.of("model.weightInit=he", "model.weightInit = \"he\": expected one of xavier, relu, uniform"),
                Arguments.of("bn.mode=shared", "bn.mode = \"shared\": expected local, sync, group:G or ghost:g (G, g integers >= 1)"),
                Arguments.of("bn.mode=\"group:0\"", "bn.mode = \"group:0\": expected local, sync, group:G or ghost:g (G, g integers >= 1)"),
                Arguments.of("bn.decay=1", "bn.decay = 1: expected a number in [0, 1)"),
                Arguments.of("bn.decay=-0.1", "bn.decay = -0.1: expected a number in [0, 1)"),
                Arguments.of("bn.eps=0", "bn.eps = 0: expected a number > 0"),
                Arguments.of("train.workers=0", "train.workers = 0: expected an integer in [1, 4096]"),
                Arguments.of("train.workers=4097", "train.workers = 4097: expected an integer in [1, 4096]"),
                Arguments.of("train.batchPerWorker=0", "train.batchPerWorker = 0: expected an integer >= 1"),
                Arguments.of("train.epochs=0", "train.epochs = 0: expected an integer >= 1"),
                Arguments.of("train.stepsPerRound=-3", "train.stepsPerRound = -3: expected an integer >= 1"),
                Arguments.of("train.evalEveryEpochs=0", "train.evalEveryEpochs = 0: expected an integer >= 1"),
                Arguments.of("optim.updater=rmsprop", "optim.updater = \"rmsprop\": expected one of sgd, nesterovs, adam"),
                Arguments.of("optim.lr=0", "optim.lr = 0: expected a finite number > 0"),
                Arguments.of("optim.lr=1e400", "optim.lr = 1e400: expected a finite number > 0"),
                Arguments.of("optim.momentum=1.0", "optim.momentum = 1.0: expected a number in [0, 1)"),
                Arguments.of("optim.l2=-1e-4", "optim.l2 = -1e-4: expected a number >= 0"),
                Arguments.of("checkpoint.everyRounds=-1", "checkpoint.everyRounds = -1: expected an integer >= 0"));
    }

    @ParameterizedTest
    @MethodSource("outOfRange")
    void outOfRangeValueRejectedWithExpectedText(String set, String expected) {
        assertEquals("--set: " + expected, setError(set));
    }

    @Test
    void boundaryValuesInsideTheRangesAccepted() {
        JobSpec spec = sets("train.workers=4096", "data.numClasses=2", "data.maxTrainExamples=0",
                "bn.decay=0", "optim.momentum=0.999", "optim.l2=0", "bn.eps=1e-300", "checkpoint.everyRounds=0",
                "model.hidden=[1]", "seed=-9223372036854775808", "spark.master=\"\"", "name=a.b_c-1");
        assertEquals(4096, spec.train().workers());
        assertEquals(2, spec.data().numClasses());
        assertEquals(0.0, spec.bn().decay());
        assertEquals(0.999, spec.optim().momentum());
        assertEquals(1e-300, spec.bn().eps());
        assertEquals(List.of(1), spec.model().hidden());
        assertEquals(Long.MIN_VALUE, spec.seed());
        assertEquals("", spec.spark().master());
        assertEquals("a.b_c-1", spec.name());
        assertEquals(1, sets("train.workers=1").train().workers());
    }

    @ParameterizedTest
    @ValueSource(strings = {"train.workers=2.5", "train.epochs=0.5", "data.numClasses=10.1"})
    void floatForIntegerKeyRejected(String set) {
        String message = setError(set);
        String key = set.substring(0, set.indexOf('='));
        String value = set.substring(set.indexOf('=') + 1);
        assertTrue(message.startsWith("--set: " + key + " = " + value + ": expected an integer"), message);
    }

    @Test
    void floatInIntegerListRejected() {
        assertEquals("--set: model.hidden = [64.5]: expected a non-empty list of integers >= 1, e.g. [256, 128]",
                setError("model.hidden=[64.5]"));
    }

    @Test
    void integerForDoubleKeyAccepted() {
        JobSpec spec = sets("optim.lr=1", "optim.l2=0", "bn.eps=2");
        assertEquals(1.0, spec.optim().lr());
        assertEquals(0.0, spec.optim().l2());
        assertEquals(2.0, spec.bn().eps());
    }

    // ---- files and --set syntax --------------------------------------------------------------

    @Test
    void missingJobFileRejected() {
        Path missing = dir.resolve("nope.conf");
        assertEquals("job file not found: " + missing, error(() -> JobSpecLoader.load(missing, List.of())));
    }

    @Test
    void directoryAsJobFileRejected() {
        assertEquals("job file is not a regular file: " + dir, error(() -> JobSpecLoader.load(dir, List.of())));
    }

    @Test
    void syntaxErrorMessageIsOneLineWithFileAndLine() throws IOException {
        Path file = job("name = ok\ntrain.workers = = 3\nseed = 1\n");
        String message = error(() -> JobSpecLoader.load(file, List.of()));
        assertTrue(message.startsWith(file + ":2: "), message);
    }

    @Test
    void unclosedSectionIsASyntaxError() throws IOException {
        Path file = job("train {\n  workers = 2\n");
        assertTrue(error(() -> JobSpecLoader.load(file, List.of())).startsWith(file + ":"));
    }

    @Test
    void unresolvedSubstitutionNamesFileAndLine() throws IOException {
        Path file = job("seed = 1\ntrain.workers = ${NO_SUCH_SYNCBN_VARIABLE}\n");
        String message = error(() -> JobSpecLoader.load(file, List.of()));
        assertTrue(message.startsWith(file + ":2: "), message);
        assertTrue(message.contains("NO_SUCH_SYNCBN_VARIABLE"), message);
    }

    @Test
    void setWithoutEqualsRejected() {
        assertEquals("--set \"train.workers\": expected key=value, e.g. train.workers=4", setError("train.workers"));
    }

    @Test
    void setWithEmptyKeyRejected() {
        assertEquals("--set \" =4\": empty key, expected key=value, e.g. train.workers=4", setError(" =4"));
    }

    @Test
    void setWithInvalidKeyRejectedAndAValueThatIsNotHoconCheckedAsTyped() {
        assertTrue(setError("train..workers=4").startsWith("--set \"train..workers=4\": invalid key"));
        String hidden = setError("model.hidden=[64,");
        assertTrue(hidden.contains("model.hidden") && hidden.contains("[64,") && hidden.contains("expected a non-empty list"),
                hidden);
        String mode = setError("bn.mode=group:x");
        assertTrue(mode.contains("bn.mode") && mode.contains("group:x"), mode);
    }

    @Test
    void unquotedValuesThatAreNotHoconOnTheirOwnAreTakenAsTyped() {
        JobSpec spec = sets("bn.mode=group:2", "spark.master=local[4]", "data.dir=hdfs://nn:8020/data/fashion-mnist",
                "data.testFile=/a//b#c.csv", "data.trainFile= x y ");
        assertEquals("group:2", spec.bn().mode().toString());
        assertEquals("local[4]", spec.spark().master());
        assertEquals("hdfs://nn:8020/data/fashion-mnist", spec.data().dir());
        assertEquals("/a//b#c.csv", spec.data().testFile());
        assertEquals("x y", spec.data().trainFile());
        // what HOCON reads as typed stays HOCON's: numbers, lists, quoted strings
        JobSpec hocon = sets("train.workers=3", "model.hidden=[64, 32]", "bn.mode=\"ghost:8\"");
        assertEquals(3, hocon.train().workers());
        assertEquals(List.of(64, 32), hocon.model().hidden());
        assertEquals("ghost:8", hocon.bn().mode().toString());
        assertTrue(setError("name=\"a b\"").contains("name"));
    }

    @Test
    void setSmugglingASecondKeyRejected() {
        assertEquals("--set \"train.workers=4, train.epochs=2\": expected a single value for train.workers"
                + " (use one --set per key)", setError("train.workers=4, train.epochs=2"));
        assertTrue(setError("train.workers=4, seed=3").contains("expected a single value"));
    }

    // ---- resolvedHocon -----------------------------------------------------------------------

    @Test
    void resolvedHoconRoundTripsViaFromResolved() throws IOException {
        JobSpec defaults = sets();
        assertEquals(defaults, JobSpecLoader.fromResolved(defaults.resolvedHocon()));

        JobSpec custom = JobSpecLoader.load(job("name = r1\ndtype = DOUBLE\nseed = -7\n"),
                List.of("model.hidden=[512,256,10]", "optim.lr=3e-4", "optim.l2=1e-5", "data.shuffle=false",
                        "spark.master=\"local[3]\"", "data.dir=\"hdfs://nn:8020/fm data\"", "bn.decay=0.1"));
        JobSpec again = JobSpecLoader.fromResolved(custom.resolvedHocon());
        assertEquals(custom, again);
        assertEquals(custom.resolvedHocon(), again.resolvedHocon());
        assertNotEquals(defaults.resolvedHocon(), custom.resolvedHocon());
    }

    @Test
    void resolvedHoconIsDeterministicForEqualSpecs() throws IOException {
        JobSpec a = JobSpecLoader.load(job("optim.lr = 1e-3\ndtype = FLOAT\ntrain { workers = 4 }\n"), List.of());
        JobSpec b = sets("train.workers=4", "optim.lr=0.001", "dtype=float");
        assertEquals(a.resolvedHocon(), b.resolvedHocon());
        assertEquals(a, b);
        assertEquals(sets().resolvedHocon(), sets().resolvedHocon());
    }

    @Test
    void resolvedHoconHasSortedKnownKeysAndNoComments() {
        String text = sets().resolvedHocon();
        assertFalse(text.contains("#") || text.contains("//"), text);
        List<String> topLevel = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isEmpty() && !Character.isWhitespace(line.charAt(0)) && !line.startsWith("}")) {
                topLevel.add(line.split("[ ={]")[0]);
            }
        }
        assertEquals(List.of(TOP_KEYS.split(", ")), topLevel);
        int workers = text.indexOf("workers=");
        int batch = text.indexOf("batchPerWorker=");
        assertTrue(batch >= 0 && workers > batch, text);
        // the text alone (no defaults behind it) names every key: fromResolved works unchanged
        // even if defaults.conf later changes a default
        assertTrue(text.contains("stepsPerRound=47") && text.contains("master=\"\""), text);
    }

    @Test
    void fromResolvedValidatesAndNamesItsSource() {
        assertEquals("resolved spec: train.workers = 0: expected an integer in [1, 4096]",
                error(() -> JobSpecLoader.fromResolved("train { workers = 0 }")));
        assertTrue(error(() -> JobSpecLoader.fromResolved("train {")).startsWith("resolved spec:"));
    }

    // ---- messages ----------------------------------------------------------------------------

    @Test
    void messagesAreSingleLine() throws IOException {
        // error() itself asserts that the message has no line break; the last file makes
        // Typesafe Config's own parse error span two lines
        for (String text : List.of("name = \"\"\"two\nlines\"\"\"\n", "\"odd\\nkey\" = 1\n",
                "train {\n workers = [\n 1,\n", "train.workers = \"\"\"4\n\"\"\"\n",
                "train { \"\"\"x\ny\"\"\" }\n")) {
            fileError(text);
        }
        for (String set : List.of("name=\"a\\nb\"", "train.workers\n=\nfour", "no-equals\nhere",
                "model.hidden=[1,\n", "model.hidden=[1,\n2.5]")) {
            setError(set);
        }
        String shown = setError("name=\"x\\ny\"");
        assertEquals("--set: name = \"x\\ny\": expected a non-empty string of letters, digits, '.', '_' or '-'", shown);
    }

    @Test
    void bnModesParseToTheirCanonicalSpellingAndGroupSizeMustDivideWorkers() {
        assertEquals("ghost:4", JobSpecLoader.load(null, List.of("bn.mode=\"GHOST:4\"")).bn().mode().toString());
        assertEquals("group:2",
                JobSpecLoader.load(null, List.of("bn.mode=\"group:2\"", "train.workers=4")).bn().mode().toString());
        SpecException e = org.junit.jupiter.api.Assertions.assertThrows(SpecException.class,
                () -> JobSpecLoader.load(null, List.of("bn.mode=\"group:3\"", "train.workers=4")));
        assertEquals("bn.mode = group:3 needs train.workers divisible by 3, but train.workers = 4", e.getMessage());
    }
}
