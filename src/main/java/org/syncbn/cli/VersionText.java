package org.syncbn.cli;

import org.syncbn.natives.CpuFeatures;
import org.syncbn.natives.NativeBuild;
import org.syncbn.natives.NativeBuildChoice;
import org.syncbn.store.Provenance;

import java.util.Locale;

/**
 * What {@code syncbn --version} (and {@code syncbn <command> --version}) prints: this project's version
 * and git commit, the Spark, DL4J and ND4J versions, the ND4J native build a command would load here, and
 * the Java runtime. Nothing is started: ND4J is not loaded, so the build is the one chosen for this CPU
 * (or forced by SYNCBN_NATIVE), which is the one a command loads.
 */
final class VersionText {
    private VersionText() {
    }

    static String text() {
        String chosen = NativeBuildChoice.choose(CpuFeatures.thisMachine(), NativeBuildChoice::onClasspath);
        String extension = System.getProperty(NativeBuild.EXTENSION_PROPERTY, chosen);
        boolean forced = !extension.equals(chosen);
        return String.format(Locale.ROOT, """
                syncbn-spark %s
                git commit   %s
                spark        %s
                dl4j         %s
                nd4j         %s (native build %s%s)
                java         %s (%s, %s)
                """, Provenance.projectVersion(), Provenance.gitCommit(), org.apache.spark.package$.MODULE$.SPARK_VERSION(),
                Provenance.dl4jVersion(), Provenance.nd4jVersion(), org.bytedeco.javacpp.Loader.getPlatform() + extension,
                forced ? ", set by " + NativeBuild.EXTENSION_PROPERTY : ", chosen for this CPU",
                System.getProperty("java.version"), System.getProperty("java.vendor"), System.getProperty("java.home"));
    }
}
