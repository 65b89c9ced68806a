package org.diffusion4j.cli;

import static org.diffusion4j.cli.CommandLineTest.d4j;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.diffusion4j.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code d4j train-noisy-classifier} and {@code d4j sample --classifier}: checked values, a real
 * run on two easily told classes whose accuracy at t = 0 is recorded, and an unconditional model
 * sampled towards labels by the classifier; a classifier of another schedule is refused.
 */
class TrainNoisyClassifierCommandTest {
    @TempDir
    Path dir;

    @Test
    void helpAndCheckedValues() {
        CommandLineTest.Run help = d4j("train-noisy-classifier", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: d4j train-noisy-classifier") && help.out().contains("--schedule=KIND")
                && help.out().contains("--test-images=N"), help.out());
        String[][] cases = {{"--epochs", "0"}, {"--batch", "0"}, {"--lr", "0"}, {"--base", "12"}, {"--schedule", "square"},
            {"--timesteps", "10"}, {"--test-images", "0"}};
        for (String[] c : cases) {
            CommandLineTest.Run r = d4j("train-noisy-classifier", c[0], c[1], "--out", dir.resolve("x.safetensors").toString());
            assertEquals(2, r.code(), String.join(" ", c));
            assertTrue(r.err().contains(c[0]) && r.err().contains(c[1]), "message names option and value: " + r.err());
        }
        CommandLineTest.Run noClassifier = d4j("sample", "--classifier-scale", "2", "--out", dir.toString());
        assertEquals(2, noClassifier.code());
        assertTrue(noClassifier.err().contains("--classifier-scale") && noClassifier.err().contains("needs --classifier"),
                noClassifier.err());
    }

    @Test
    void trainsOnNoisedImagesAndGuidesAnUnconditionalModel() throws IOException {
        Path train = TrainClassifierCommandTest.folder(dir.resolve("train"), 48, 2);
        Path test = TrainClassifierCommandTest.folder(dir.resolve("test"), 16, 3);
        Path classifier = dir.resolve("noisy.safetensors");
        CommandLineTest.Run r = d4j("train-noisy-classifier", "--data", train.toString(), "--test-data", test.toString(),
                "--out", classifier.toString(), "--timesteps", "100", "--base", "8", "--epochs", "6", "--batch", "16",
                "--warmup", "5", "--lr", "3e-3", "--test-images", "32", "--device", "cpu", "--quiet", "--seed", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch 6/6: train loss"), r.out());
        Safetensors.Contents c = Safetensors.read(classifier);
        assertEquals("diffusion4j-noisy-classifier", c.metadata().get("format"));
        assertEquals("100", c.metadata().get("diffusion.timesteps"));
        assertEquals("bottom\ntop", c.metadata().get("data.class_names"));
        String log = c.metadata().get("train_log");
        String last = log.lines().reduce((a, b) -> b).orElseThrow();
        Matcher m = Pattern.compile("t=0 ([0-9.]+)").matcher(last);
        assertTrue(m.find(), log);
        double clean = Double.parseDouble(m.group(1));
        assertTrue(clean >= 0.9, "two easy classes at t = 0: accuracy " + clean + "\n" + log);

        Path model = dir.resolve("model");
        CommandLineTest.Run t = d4j("train", "--data", train.toString(), "--unconditional", "--steps", "3", "--batch", "2",
                "--base", "8", "--timesteps", "100", "--device", "cpu", "--quiet", "--out", model.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("2 classes, ignored (unconditional)"), t.out());
        Path samples = dir.resolve("samples");
        CommandLineTest.Run s = d4j("sample", "--checkpoint", model.resolve("checkpoint.safetensors").toString(), "--classifier",
                classifier.toString(), "--classifier-scale", "2", "--per-label", "2", "--steps", "5", "--device", "cpu",
                "--quiet", "--out", samples.toString());
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("classifier guidance s = 2.0"), s.out());
        List<String> rows = Files.readAllLines(samples.resolve("labels.csv"));
        assertEquals(5, rows.size(), rows.toString());
        assertTrue(rows.get(1).contains(",0,bottom") && rows.get(4).contains(",1,top"), rows.toString());

        Path other = dir.resolve("model-1000");
        assertEquals(0, d4j("train", "--data", train.toString(), "--unconditional", "--steps", "1", "--batch", "2", "--base", "8",
                "--device", "cpu", "--quiet", "--out", other.toString()).code());
        CommandLineTest.Run mismatch = d4j("sample", "--checkpoint", other.resolve("checkpoint.safetensors").toString(),
                "--classifier", classifier.toString(), "--steps", "2", "--device", "cpu", "--out", dir.resolve("x").toString());
        assertTrue(mismatch.code() != 0 && mismatch.err().contains("guidance needs the same noise levels"), mismatch.err());
    }
}
