package org.diffusion4j.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Trainer#fit} run does besides the steps: when it stops (a total step count, a
 * wall-clock budget for this run, or both — whichever comes first — or a listener's veto), how
 * often it reports, and where and how often it writes checkpoints.
 *
 * @param maxSteps stop when the trainer's step count reaches this (Long.MAX_VALUE: no limit)
 * @param maxTime stop after this long in this run (null: no limit)
 * @param logEvery report (and read the loss back) every this many steps
 * @param checkpoint where to save (null: no checkpoints)
 * @param checkpointEvery save every this many steps, and always at the end
 * @param metadata extra checkpoint metadata (such as the data set's class names)
 */
public record Fit(long maxSteps, Duration maxTime, int logEvery, Path checkpoint, int checkpointEvery,
        Map<String, String> metadata) {

    public Fit {
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps is " + maxSteps + "; it must be >= 0");
        }
        if (maxSteps == Long.MAX_VALUE && maxTime == null) {
            throw new IllegalArgumentException("a run needs a step limit, a time limit or both");
        }
        if (maxTime != null && (maxTime.isNegative() || maxTime.isZero())) {
            throw new IllegalArgumentException("maxTime is " + maxTime + "; it must be positive");
        }
        if (logEvery < 1 || checkpointEvery < 1) {
            throw new IllegalArgumentException("logEvery " + logEvery + " and checkpointEvery " + checkpointEvery
                    + " must be >= 1");
        }
        metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
    }

    /** Until the trainer has taken {@code steps} steps; report every 50; no checkpoints. */
    public static Fit steps(long steps) {
        return new Fit(steps, null, 50, null, 500, Map.of());
    }

    /** For {@code time} of wall clock; report every 50; no checkpoints. */
    public static Fit time(Duration time) {
        return new Fit(Long.MAX_VALUE, time, 50, null, 500, Map.of());
    }

    public Fit logEvery(int steps) {
        return new Fit(maxSteps, maxTime, steps, checkpoint, checkpointEvery, metadata);
    }

    /** Save to {@code file} every {@code every} steps and at the end, with {@code extra} metadata. */
    public Fit checkpoint(Path file, int every, Map<String, String> extra) {
        return new Fit(maxSteps, maxTime, logEvery, Objects.requireNonNull(file, "file"), every, extra);
    }
}
