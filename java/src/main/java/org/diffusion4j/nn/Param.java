package org.diffusion4j.nn;

import org.diffusion4j.Tensor;

/** A trainable tensor and its gradient (same shape), named by its path in the model. */
public record Param(String name, Tensor value, Tensor grad) {}
