package org.diffusion4j.train;

import java.util.List;
import org.diffusion4j.data.ImageDataset;

/** 8×8 grey images of three classes (halves, other halves, checkers), each with its own brightness. */
final class Patterns implements ImageDataset {
    private final int size;

    Patterns(int size) {
        this.size = size;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int height() {
        return 8;
    }

    @Override
    public int width() {
        return 8;
    }

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public List<String> classNames() {
        return List.of("rows", "columns", "checkers");
    }

    @Override
    public int label(int index) {
        return index % 3;
    }

    @Override
    public float[] image(int index) {
        float[] x = new float[64];
        float on = 0.5f + 0.4f * ((index * 37) % 11) / 10f;
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                boolean lit = switch (label(index)) {
                    case 0 -> i < 4;
                    case 1 -> j < 4;
                    default -> (i + j) % 2 == 0;
                };
                x[i * 8 + j] = lit ? on : -on;
            }
        }
        return x;
    }
}
