package org.diffusion4j.train;

/**
 * A {@link Trainer#fit} run at a logged step.
 *
 * @param step optimizer steps taken (over the whole training, resumes included)
 * @param runSteps steps taken in this run
 * @param meanLoss the mean training loss over the steps since the previous report
 * @param learningRate the learning rate of the last step
 * @param stepsPerSecond this run's rate so far
 * @param elapsedSeconds this run's wall time so far
 * @param fractionDone of the run's budget (steps or time, whichever binds), in [0, 1]
 * @param etaSeconds the estimated time to the end of the run
 */
public record TrainProgress(long step, long runSteps, double meanLoss, float learningRate, double stepsPerSecond,
        double elapsedSeconds, double fractionDone, double etaSeconds) {}
