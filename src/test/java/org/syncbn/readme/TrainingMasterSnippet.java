package org.syncbn.readme;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.syncbn.bn.BnConversion;
import org.syncbn.train.SyncBnTrainingMaster;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * README's "Use from Java (dl4j-spark)" snippet as a user's own program: its own context, its own
 * configuration and data, the snippet, {@code sc.stop()}, and main returns. Run in a child JVM by
 * {@link ReadmeProgramsExitTest}.
 */
public final class TrainingMasterSnippet {
    private TrainingMasterSnippet() {
    }

    public static void main(String[] args) {
        JavaSparkContext sc = new JavaSparkContext(new SparkConf().setMaster("local[4]").setAppName("user-program")
                .set("spark.ui.enabled", "false"));
        MultiLayerConfiguration myConf = new NeuralNetConfiguration.Builder().seed(1).updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(16).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        Random rnd = new Random(3);
        List<DataSet> examples = new ArrayList<>();
        for (int i = 0; i < 512; i++) {
            float[] x = {rnd.nextFloat(), rnd.nextFloat(), rnd.nextFloat(), rnd.nextFloat()};
            float[] y = new float[3];
            y[x[0] > x[1] ? 0 : x[2] > x[3] ? 1 : 2] = 1;
            examples.add(new DataSet(Nd4j.create(x, new long[] {1, 4}), Nd4j.create(y, new long[] {1, 3})));
        }
        JavaRDD<DataSet> trainingRdd = sc.parallelize(examples, 4);

        // --- the README snippet, as written ---
        SyncBnTrainingMaster master = new SyncBnTrainingMaster.Builder(4, 32)   // 4 workers x 32
                .stepsPerRound(10).sync("gradients").bnMode("sync").seed(42).build();  // Adam etc. on the global batch
        MultiLayerConfiguration conf = BnConversion.toSync(myConf, 0);        // BN layers -> SyncBN
        SparkDl4jMultiLayer net = new SparkDl4jMultiLayer(sc, conf, master);
        net.fit(trainingRdd);                                                 // one epoch per call
        MultiLayerNetwork plain = BnConversion.toStandard(net.getNetwork());  // plain DL4J for serving
        // --- end of the snippet ---

        System.out.println("score " + plain.score());
        sc.stop();
        System.out.println("MAIN RETURNS");
    }
}
