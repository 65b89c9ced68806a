package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class D4jTest {
    @TempDir
    Path dir;

    @Test
    void forwardWritesTheGrid() throws IOException {
        int code = D4j.run(new String[] {"forward", "--out", dir.toString(), "--device", "cpu", "--seed", "3"});
        assertEquals(0, code);
        Path png = dir.resolve("forward-process.png");
        assertTrue(Files.isRegularFile(png));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(6 * (28 * 3 + 1) + 1, img.getWidth()); // x_0 + 5 timesteps
        assertEquals(10 * (28 * 3 + 1) + 1, img.getHeight()); // one row per class
    }

    /** A few training steps, a checkpoint, then a labelled sample grid from it. */
    @Test
    void trainThenSample() throws IOException {
        Path out = dir.resolve("run");
        assertEquals(0, D4j.run(new String[] {"train", "--steps", "3", "--batch", "4", "--out", out.toString(), "--device",
            "cpu", "--quiet"}));
        assertTrue(Files.isRegularFile(out.resolve("checkpoint.safetensors")));
        assertTrue(Files.readString(out.resolve("loss.csv")).startsWith("step,loss"));
        assertEquals(0, D4j.run(new String[] {"train", "--steps", "4", "--batch", "4", "--out", out.toString(), "--device",
            "cpu", "--quiet", "--resume"}));
        Path samples = dir.resolve("samples");
        assertEquals(0, D4j.run(new String[] {"sample", "--checkpoint", out.resolve("checkpoint.safetensors").toString(),
            "--out", samples.toString(), "--steps", "2", "--per-label", "2", "--labels", "0,9", "--device", "cpu",
            "--quiet"}));
        assertTrue(Files.isRegularFile(samples.resolve("sample-003-label-9-ankle-boot.png")));
        BufferedImage grid = ImageIO.read(samples.resolve("grid.png").toFile());
        assertEquals(2 * (28 * 2 + 1) + 1, grid.getWidth()); // 2 per label, scale 2
        assertEquals(2, D4j.run(new String[] {"sample", "--labels", "12", "--checkpoint",
            out.resolve("checkpoint.safetensors").toString()}));
        assertEquals(1, D4j.run(new String[] {"sample", "--checkpoint", dir.resolve("none.safetensors").toString()}));
    }

    /**
     * Each sample is a 28×28 grey PNG, the same image as its (2× magnified) grid cell, and
     * labels.csv lists every file with its label and class name.
     */
    @Test
    void samplesAreNativeSizeGreyPngsListedInLabelsCsv() throws IOException {
        Path out = dir.resolve("run");
        assertEquals(0, D4j.run(new String[] {"train", "--steps", "2", "--batch", "2", "--base", "8", "--out", out.toString(),
            "--device", "cpu", "--quiet"}));
        Path samples = dir.resolve("samples");
        assertEquals(0, D4j.run(new String[] {"sample", "--checkpoint", out.resolve("checkpoint.safetensors").toString(),
            "--out", samples.toString(), "--steps", "2", "--per-label", "2", "--labels", "0,9", "--device", "cpu",
            "--quiet"}));
        java.util.List<String> csv = Files.readAllLines(samples.resolve("labels.csv"));
        assertEquals(java.util.List.of("file,label,class", "sample-000-label-0-t-shirt-top.png,0,T-shirt/top",
                "sample-001-label-0-t-shirt-top.png,0,T-shirt/top", "sample-002-label-9-ankle-boot.png,9,Ankle boot",
                "sample-003-label-9-ankle-boot.png,9,Ankle boot"), csv);
        BufferedImage grid = ImageIO.read(samples.resolve("grid.png").toFile());
        for (int i = 0; i < 4; i++) {
            BufferedImage img = ImageIO.read(samples.resolve(csv.get(1 + i).split(",")[0]).toFile());
            assertEquals(28, img.getWidth());
            assertEquals(28, img.getHeight());
            assertEquals(BufferedImage.TYPE_BYTE_GRAY, img.getType());
            int ox = 1 + (i % 2) * (2 * 28 + 1);
            int oy = 1 + (i / 2) * (2 * 28 + 1);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    assertEquals(grid.getRGB(ox + 2 * x, oy + 2 * y) & 0xff, img.getRaster().getSample(x, y, 0));
                }
            }
        }
    }

    /** A folder of 8×8 RGB images in two class subfolders trains a conditional model; loose images an unconditional one. */
    @Test
    void trainsAndSamplesAFolderOfImages() throws IOException {
        Path data = dir.resolve("data");
        for (int i = 0; i < 3; i++) {
            writeImage(data.resolve("cats/" + i + ".png"), 8, 8, 10 * i, true);
            writeImage(data.resolve("dogs/" + i + ".png"), 8, 8, 100 + 10 * i, true);
        }
        Path samples = trainTwoStepsThenSample(data, "folder", "--per-label", "1");
        assertTrue(Files.isRegularFile(samples.resolve("sample-001-label-1-dogs.png")));
        BufferedImage one = ImageIO.read(samples.resolve("sample-000-label-0-cats.png").toFile());
        assertEquals(8, one.getWidth()); // native size
        assertEquals(BufferedImage.TYPE_3BYTE_BGR, one.getType()); // RGB, as the data
        Path loose = dir.resolve("loose");
        for (int i = 0; i < 2; i++) {
            writeImage(loose.resolve(i + ".png"), 12, 12, 30 * i, false);
        }
        Path looseSamples = trainTwoStepsThenSample(loose, "loose", "--count", "3");
        assertTrue(Files.isRegularFile(looseSamples.resolve("sample-002.png")));
        assertEquals("sample-002.png,,", Files.readAllLines(looseSamples.resolve("labels.csv")).get(3)); // no label
        assertEquals(2, D4j.run(new String[] {"sample", "--checkpoint", dir.resolve("loose-run/checkpoint.safetensors")
            .toString(), "--labels", "0", "--out", looseSamples.toString()}));
        assertEquals(1, D4j.run(new String[] {"train", "--data", dir.resolve("nothing-here").toString(), "--steps", "1",
            "--out", dir.resolve("nothing-run").toString()}));
    }

    /** A w×h PNG (RGB or grey) of a pattern that depends on {@code seed}. */
    static void writeImage(Path file, int w, int h, int seed, boolean rgb) throws IOException {
        BufferedImage img = new BufferedImage(w, h, rgb ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < w * h; i++) {
            img.setRGB(i % w, i / w, ((seed + 7 * i) & 0xff) * 0x010101);
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    /** d4j train (2 steps, base 8) on {@code data} into NAME-run, then d4j sample (2 steps) into NAME-samples. */
    private Path trainTwoStepsThenSample(Path data, String name, String... sampleArgs) {
        Path out = dir.resolve(name + "-run");
        assertEquals(0, D4j.run(new String[] {"train", "--data", data.toString(), "--steps", "2", "--batch", "2", "--base",
            "8", "--out", out.toString(), "--device", "cpu", "--quiet"}));
        Path samples = dir.resolve(name + "-samples");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("sample", "--checkpoint",
                out.resolve("checkpoint.safetensors").toString(), "--out", samples.toString(), "--steps", "2", "--device",
                "cpu", "--quiet"));
        args.addAll(java.util.List.of(sampleArgs));
        assertEquals(0, D4j.run(args.toArray(String[]::new)));
        return samples;
    }

    @Test
    void badUsageExitsWith2() {
        assertEquals(2, D4j.run(new String[] {"forward", "--device", "gpu"}));
        assertEquals(2, D4j.run(new String[] {"forward", "--timesteps", "0,1000"}));
        assertEquals(2, D4j.run(new String[] {"nonsense"}));
        assertEquals(2, D4j.run(new String[0]));
    }

    @Test
    void missingDataOrDeviceExitsWith1() {
        assertEquals(1, D4j.run(new String[] {"forward", "--data", dir.resolve("none").toString(), "--out",
            dir.toString(), "--device", "cpu"}));
        assertEquals(1, D4j.run(new String[] {"forward", "--device", "cuda:9", "--out", dir.toString()}));
    }
}
