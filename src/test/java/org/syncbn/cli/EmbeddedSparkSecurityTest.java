package org.syncbn.cli;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.syncbn.bench.ListeningPorts;
import org.syncbn.bench.SparkRpcProbe;
import org.syncbn.testing.ChildCli;
import org.syncbn.testing.TestSpark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spark that {@code syncbn} embeds authenticates its RPC with a secret of its own, made per run
 * and never shown; with {@code collective.rendezvous = barrier} a stuck task fails its peers within
 * {@code collective.timeoutSec}.
 */
class EmbeddedSparkSecurityTest {
    @TempDir
    Path tmp;

    private static String[] train(Path out) {
        return new String[] {"train", Path.of(System.getProperty("syncbn.projectDir", "."), "jobs/fashion-mlp.conf").toString(),
                "--set", "data.dir=\"" + TestSpark.fashionMnistDir() + "\"", "--set", "data.maxTrainExamples=8192",
                "--set", "data.maxTestExamples=300", "--set", "train.epochs=5", "--set", "model.hidden=[32]",
                "--set", "train.stepsPerRound=4", "--out", out.toString()};
    }

    /** Which of the process's ports hand a driver endpoint to a client without the secret and to one with a wrong secret. */
    private static int[] answering(ChildCli child) throws Exception {
        assertTrue(child.awaitErrLine(l -> l.startsWith("round 1/"), 240), child.err());
        Set<Integer> ports = ListeningPorts.of(child.pid());
        assertFalse(ports.isEmpty());
        int[] answered = new int[2];
        try (SparkRpcProbe none = new SparkRpcProbe(null, 5); SparkRpcProbe wrong = new SparkRpcProbe("not-the-secret", 5)) {
            for (int port : ports) {
                answered[0] += none.endpointAnswers("127.0.0.1", port) ? 1 : 0;
                answered[1] += wrong.endpointAnswers("127.0.0.1", port) ? 1 : 0;
            }
        }
        return answered;
    }

    @Test
    void theEmbeddedDriverLetsNoRpcClientInWithoutItsSecretAndTheSecretIsNowhereToBeSeen() throws Exception {
        try (ChildCli child = ChildCli.start(tmp.resolve("logs"), "auth", train(tmp.resolve("auth")))) {
            int[] answered = answering(child);
            assertEquals(0, answered[0], "a client without the secret reached a driver endpoint");
            assertEquals(0, answered[1], "a client with a wrong secret reached a driver endpoint");
            String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(child.pid()), "cmdline")),
                    StandardCharsets.UTF_8);
            assertFalse(cmdline.contains("secret"), cmdline);
            child.signal("INT");
            assertEquals(130, child.waitFor(120), child.err());
            assertFalse(child.err().toLowerCase().contains("secret"), child.err());
        }
    }

    @Test
    void withoutAuthenticationTheSameClientReachesTheDriver() throws Exception {
        // the control: what spark.authenticate = true (the embedded default) keeps out
        try (ChildCli child = ChildCli.start(tmp.resolve("logs"), "open", List.of("-Dspark.authenticate=false"),
                train(tmp.resolve("open")))) {
            assertTrue(answering(child)[0] >= 1, "no port answered even without authentication: the probe proves nothing");
            child.signal("INT");
            assertEquals(130, child.waitFor(120), child.err());
        }
    }

    @Test
    void theEmbeddedDefaultsAuthenticateLocallyAndLeaveASubmittedMasterAndGivenSettingsAlone() {
        SparkConf local = SparkSessions.configure(new SparkConf(false), "j", "", 2, 0);
        assertEquals("local[2]", local.get("spark.master"));
        assertEquals("true", local.get("spark.authenticate"));
        assertFalse(local.contains("spark.authenticate.secret"), "Spark makes the local secret itself, in memory");
        assertFalse(local.contains("spark.barrier.sync.timeout"));
        SparkConf off = SparkSessions.configure(new SparkConf(false).set("spark.authenticate", "false"), "j", "", 2, 0);
        assertEquals("false", off.get("spark.authenticate"));
        SparkConf submitted = SparkSessions.configure(new SparkConf(false).setMaster("spark://m:7077"), "j", "", 2, 0);
        assertFalse(submitted.contains("spark.authenticate"), "a cluster's authentication is the submitter's (submit.sh)");
        assertEquals("42s", SparkSessions.configure(new SparkConf(false), "j", "", 2, 42).get("spark.barrier.sync.timeout"));
    }

    @Test
    void aBarrierTaskStuckBeforeTheAllGatherFailsItsPeersWithinTheCollectiveTimeout() throws Exception {
        try (ChildCli probe = ChildCli.startMain(tmp.resolve("logs"), "barrier", List.of(),
                BarrierTimeoutProbe.class.getName(), "3")) {
            assertEquals(0, probe.waitFor(180), probe.err());
            String line = probe.out().strip();
            assertTrue(line.startsWith("FAILED_AFTER "), probe.out() + probe.err());
            double seconds = Double.parseDouble(line.substring("FAILED_AFTER ".length()));
            assertTrue(seconds >= 2.5 && seconds < 20, "the stage failed after " + seconds + " s, the timeout is 3 s");
        }
    }
}
