package org.syncbn.network;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.syncbn.config.SpecException;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds how a network takes the data's examples by trying it: one example of zeros in inference mode,
 * as flat features, then (for image data) as NCHW and as NHWC images. A network that takes none of
 * them is refused with DL4J's own reason.
 */
public final class InputLayouts {
    private InputLayouts() {
    }

    /**
     * @param features flat features per example
     * @param channels image channels (0: the data are not images), with {@code height} and {@code width}
     * @param what     the network's name in the message (e.g. "model.file = x.json")
     */
    public static InputLayout detect(Network net, int features, int channels, int height, int width, String what) {
        List<InputLayout> candidates = new ArrayList<>(List.of(InputLayout.FLAT));
        if (channels > 0) {
            candidates.add(InputLayout.image(InputLayout.Kind.NCHW, channels, height, width));
            candidates.add(InputLayout.image(InputLayout.Kind.NHWC, channels, height, width));
        }
        INDArray example = Nd4j.zeros(net.dataType(), 1, features);
        String firstFailure = null;
        for (InputLayout layout : candidates) {
            try {
                net.withInputLayout(layout).output(example);
                return layout;
            } catch (RuntimeException e) {
                if (firstFailure == null) {
                    firstFailure = String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " ").strip();
                }
            }
        }
        String data = features + " features" + (channels > 0 ? " (" + channels + "x" + height + "x" + width
                + " images, tried flat, NCHW and NHWC)" : "");
        throw new SpecException(what + ": the network does not take the data's " + data + ": " + shorten(firstFailure));
    }

    private static String shorten(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }
}
