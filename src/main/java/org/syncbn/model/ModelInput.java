package org.syncbn.model;

/**
 * What a job's data gives a network: flat features per example, their image shape when they are
 * images (pixels in CHW order; channels 0 for plain features), and the class count.
 */
public record ModelInput(int features, int channels, int height, int width, int classes) {

    /**
     * What {@code data}'s examples give a network: IDX files hold images (square, one channel, as
     * Fashion-MNIST's); other sources give flat features.
     */
    public static ModelInput of(org.syncbn.config.JobSpec.DataSpec data, int features, int classes) {
        int side = (int) Math.round(Math.sqrt(features));
        if (data.format() == org.syncbn.config.JobSpec.DataFormat.IDX && side * side == features) {
            return image(1, side, side, classes);
        }
        return flat(features, classes);
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
