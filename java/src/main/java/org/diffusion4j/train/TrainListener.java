package org.diffusion4j.train;

import java.nio.file.Path;

/** Sees a {@link Trainer#fit} run's progress and can stop it. */
public interface TrainListener {
    /** Prints nothing and never stops. */
    TrainListener NONE = p -> true;

    /**
     * Called every {@link Fit#logEvery()} optimizer steps and after the last (the loss is read
     * from the device only then).
     *
     * @return false to stop the run after this step (a checkpoint is still written)
     */
    boolean onProgress(TrainProgress progress);

    /** Called after each checkpoint has been written. */
    default void onCheckpoint(Path file, long step) {}
}
