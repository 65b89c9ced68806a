package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.data.ImageFolder;
import picocli.CommandLine.Option;

/**
 * The labelled training and held-out images of the classifier-training commands
 * ({@code train-classifier}, {@code train-noisy-classifier}): --data and --test-data, loaded and
 * checked (classes present and alike, square images).
 */
final class ClassifierDataOptions {
    @Option(names = "--data", paramLabel = "DIR", description = {"Training images: Fashion-MNIST IDX files (the train "
            + "split), or a folder of same-size square images with one subfolder per class."})
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--test-data", paramLabel = "DIR", description = {"Held-out images, the same kinds as --data "
            + "(for Fashion-MNIST its t10k split). Default: the t10k split of --data when --data holds Fashion-MNIST; "
            + "required for a folder."})
    Path testData;

    /** The training and held-out sets, with a one-line description of both. */
    record Loaded(ImageDataset train, ImageDataset test, String description) {}

    Loaded load() throws IOException {
        ImageDataset train = load(data, FashionMnist.Split.TRAIN);
        ImageDataset test;
        if (testData != null) {
            test = load(testData, FashionMnist.Split.TEST);
        } else if (train instanceof FashionMnist) {
            test = FashionMnist.load(data, FashionMnist.Split.TEST);
        } else {
            throw new IllegalArgumentException("--data " + data + " is a folder of images: give the held-out images with "
                    + "--test-data");
        }
        if (train.classNames().isEmpty()) {
            throw new IllegalArgumentException("--data " + data + ": the images have no classes (a classifier needs one "
                    + "subfolder per class)");
        }
        if (train.height() != train.width()) {
            throw new IllegalArgumentException("--data: the images are " + train.width() + "×" + train.height()
                    + "; the classifier takes square images");
        }
        if (!test.classNames().equals(train.classNames())) {
            throw new IllegalArgumentException("--test-data has classes " + test.classNames() + " but --data has "
                    + train.classNames());
        }
        String description = describe(train, data, "train") + "; " + describe(test, testData == null ? data : testData, "test");
        return new Loaded(train, test, description);
    }

    private static String describe(ImageDataset d, Path dir, String split) {
        String kind = d instanceof FashionMnist ? "Fashion-MNIST " + split : "images";
        return kind + " (" + d.size() + ") from " + dir;
    }

    /** Fashion-MNIST's {@code split} when {@code dir} holds its IDX files, else a folder of images. */
    private static ImageDataset load(Path dir, FashionMnist.Split split) throws IOException {
        String prefix = split == FashionMnist.Split.TRAIN ? "train" : "t10k";
        if (Files.isRegularFile(dir.resolve(prefix + "-images-idx3-ubyte.gz"))
                || Files.isRegularFile(dir.resolve(prefix + "-images-idx3-ubyte"))
                || (dir.equals(FashionMnist.DEFAULT_DIR) && !Files.exists(dir))) {
            return FashionMnist.load(dir, split); // for the missing default, its error says which package to install
        }
        return ImageFolder.load(dir);
    }
}
