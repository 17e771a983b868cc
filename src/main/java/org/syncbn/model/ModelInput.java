package org.syncbn.model;

/**
 * What a job's data gives a network: flat features per example, their image shape when they are
 * images (pixels in CHW order; channels 0 for plain features), and the class count.
 */
public record ModelInput(int features, int channels, int height, int width, int classes) {

    /** What examples of {@code features} features give a network: images of {@code shape}, or flat features. */
    public static ModelInput of(java.util.Optional<org.syncbn.data.ImageShape> shape, int features, int classes) {
        return shape.map(s -> image(s.channels(), s.height(), s.width(), classes)).orElse(flat(features, classes));
    }

    public static ModelInput flat(int features, int classes) {
        return new ModelInput(features, 0, 0, 0, classes);
    }

    public static ModelInput image(int channels, int height, int width, int classes) {
        return new ModelInput(channels * height * width, channels, height, width, classes);
    }

    public boolean isImage() {
        return channels > 0;
    }

    /** "1x28x28 images" or "784 features", for messages. */
    public String describe() {
        return isImage() ? channels + "x" + height + "x" + width + " images" : features + " features";
    }
}
