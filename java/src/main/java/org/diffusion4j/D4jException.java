package org.diffusion4j;

/**
 * A failure reported by the native core. The message is the core's own: it names the C
 * function and the offending value (for example
 * {@code "d4j_q_sample: t[1] is 1000; timesteps must be in [0, 1000)"}).
 */
public class D4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Status status;

    public D4jException(Status status, String message) {
        super(message);
        this.status = status;
    }

    /** The native status code that was returned. */
    public Status status() {
        return status;
    }
}
