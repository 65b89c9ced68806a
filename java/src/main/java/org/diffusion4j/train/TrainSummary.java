package org.diffusion4j.train;

/**
 * What a {@link Trainer#fit} run did.
 *
 * @param step the trainer's step count at the end
 * @param runSteps steps taken in this run
 * @param seconds this run's wall time
 * @param finalLoss the mean loss over the last reported interval
 */
public record TrainSummary(long step, long runSteps, double seconds, double finalLoss) {}
