package org.diffusion4j.latent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.nn.Autoencoder;
import org.diffusion4j.nn.AutoencoderConfig;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A latent checkpoint's record of its autoencoder: the encoded data set has unit variance and is
 * the autoencoder's mode times the scale factor; the latent space round-trips through metadata and
 * decodes z = x / s with the same autoencoder (bit for bit against decoding by hand); an
 * autoencoder of another configuration or with other weights is refused with a message naming it.
 */
class LatentSpaceTest {
    static final AutoencoderConfig TINY = new AutoencoderConfig(8, 1, 8, new int[] {1, 2}, 1, 2, 4);

    @TempDir
    Path dir;

    /** 30 random 8×8 grey images of 3 classes. */
    static ImageDataset data() {
        float[] all = TestData.random(3, 30 * 64, 1f);
        return new ImageDataset() {
            public int size() {
                return 30;
            }

            public int height() {
                return 8;
            }

            public int width() {
                return 8;
            }

            public int channels() {
                return 1;
            }

            public List<String> classNames() {
                return List.of("a", "b", "c");
            }

            public int label(int i) {
                return i % 3;
            }

            public float[] image(int i) {
                return java.util.Arrays.copyOfRange(all, i * 64, (i + 1) * 64);
            }
        };
    }

    @Test
    void encodedLatentsHaveUnitVarianceAndDecodeWithTheirAutoencoder() throws IOException {
        Path file = dir.resolve("ae.safetensors");
        try (Context ctx = Context.create(Device.cpu(), 4); Autoencoder ae = new Autoencoder(ctx, TINY)) {
            ae.save(file, 0.01, Map.of());
        }
        try (Context ctx = Context.create(Device.cpu()); Autoencoder ae = Autoencoder.load(ctx, file)) {
            ImageDataset d = data();
            LatentDataset z = LatentDataset.encode(ctx, ae, d, 7);
            assertEquals(4, z.height());
            assertEquals(2, z.channels());
            assertEquals(2, z.label(5));
            double sum = 0;
            double sq = 0;
            for (int i = 0; i < z.size(); i++) {
                for (float f : z.image(i)) {
                    sum += f;
                    sq += (double) f * f;
                }
            }
            double n = z.size() * 32.0;
            assertEquals(1.0, sq / n - (sum / n) * (sum / n), 1e-5, "unit variance");
            try (Tensor x = Tensor.of(ctx, d.image(4), 1, 8, 8, 1); Tensor mode = ae.encode(ctx, x, false)) {
                float[] m = mode.toArray();
                for (int j = 0; j < m.length; j++) {
                    assertEquals(m[j] * z.scaleFactor(), z.image(4)[j], 1e-6 * (1 + Math.abs(z.image(4)[j])));
                }
            }
            LatentSpace space = LatentSpace.of(ae, z.scaleFactor(), file.toString());
            assertEquals(space, LatentSpace.fromMetadata(space.toMetadata()));
            float[][] decoded = space.decode(ctx, ae, new float[][] {z.image(0), z.image(1)}, 1);
            float[] byHand = new float[32];
            for (int j = 0; j < 32; j++) {
                byHand[j] = (float) (z.image(1)[j] / z.scaleFactor());
            }
            try (Tensor t = Tensor.of(ctx, byHand, 1, 4, 4, 2); Tensor x = ae.decode(ctx, t)) {
                float[] v = x.toArray();
                for (int j = 0; j < v.length; j++) {
                    v[j] = Math.max(-1f, Math.min(1f, v[j]));
                }
                assertArrayEquals(v, decoded[1], "decode is z = x / s through the decoder, clipped");
            }
            try (Context other = Context.create(Device.cpu(), 5); Autoencoder fresh = new Autoencoder(other, TINY);
                    Autoencoder wider = new Autoencoder(other, new AutoencoderConfig(8, 1, 8, new int[] {1, 2}, 1, 3, 4))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> space.check(fresh, "x"));
                assertTrue(e.getMessage().contains("other weights") && e.getMessage().contains(file.toString()),
                        e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> space.decode(ctx, wider, new float[][] {z.image(0)}, 1));
                assertTrue(e.getMessage().contains("8×8×1 to 4×4×3"), e.getMessage());
            }
        }
    }

    @Test
    void malformedMetadataIsRefused() {
        LatentSpace s = new LatentSpace("ab".repeat(32), TINY, 1.7, "ae.safetensors");
        Map<String, String> m = new HashMap<>(s.toMetadata());
        m.put("latent.scale_factor", "-1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LatentSpace.fromMetadata(m));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
        m.remove("latent.scale_factor");
        e = assertThrows(IllegalArgumentException.class, () -> LatentSpace.fromMetadata(m));
        assertTrue(e.getMessage().contains("latent.scale_factor"), e.getMessage());
        assertTrue(LatentSpace.inMetadata(s.toMetadata()));
        assertTrue(!LatentSpace.inMetadata(Map.of()));
    }
}
