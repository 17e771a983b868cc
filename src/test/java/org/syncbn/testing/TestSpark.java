package org.syncbn.testing;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One embedded Spark context for the whole test JVM (local[4]: enough slots for barrier stages of
 * up to 4 workers); starting Spark per test class would cost seconds each.
 */
public final class TestSpark {
    private static JavaSparkContext context;

    private TestSpark() {
    }

    public static synchronized JavaSparkContext context() {
        if (context == null) {
            SparkConf conf = new SparkConf().setMaster("local[4]").setAppName("syncbn-tests")
                    .set("spark.ui.enabled", "false")
                    .set("spark.driver.host", "127.0.0.1")
                    .set("spark.broadcast.compress", "false")
                    .set("spark.task.maxDirectResultSize", "100m");
            context = new JavaSparkContext(conf);
            context.setLogLevel("WARN");
            Runtime.getRuntime().addShutdownHook(new Thread(context::stop));
        }
        return context;
    }

    /** The Fashion-MNIST directory the tests train on; .ci/run installs it. */
    public static String fashionMnistDir() {
        String dir = "/usr/share/datasets/fashion-mnist";
        if (!Files.isRegularFile(Path.of(dir, "train-images-idx3-ubyte.gz"))) {
            throw new IllegalStateException("Fashion-MNIST is missing from " + dir
                    + ": apt-get install dataset-fashion-mnist (.ci/run does this)");
        }
        return dir;
    }
}
