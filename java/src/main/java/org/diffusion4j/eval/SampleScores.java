package org.diffusion4j.eval;

/**
 * The scores of a set of N images, each beside its real-data floor at the same N.
 *
 * @param n images scored
 * @param fid FID of the images against the test set, in the classifier's penultimate features
 * @param floorFid FID of N real training images against the test set (the best an N-sample set
 *     can expect: FID is biased upwards at small N)
 * @param accuracy the fraction the classifier assigns to the requested label (NaN when unlabelled)
 * @param floorAccuracy the classifier's accuracy on those N real training images
 * @param precision fraction of the images inside the real (test) manifold (Kynkäänniemi et al. 2019)
 * @param recall fraction of N real test images inside the images' manifold
 * @param floorPrecision precision of the N real training images against the test images
 * @param floorRecall recall of the same
 */
public record SampleScores(int n, double fid, double floorFid, double accuracy, double floorAccuracy, double precision,
        double recall, double floorPrecision, double floorRecall) {}
