package org.diffusion4j;

/** The native core's status codes ({@code d4j_status} in {@code d4j.h}). */
public enum Status {
    OK(0),
    INVALID_ARGUMENT(1),
    INVALID_HANDLE(2),
    SHAPE(3),
    DEVICE(4),
    OUT_OF_MEMORY(5),
    NO_DEVICE(6),
    CUDA(7),
    INTERNAL(8),
    UNSUPPORTED(9),
    UNKNOWN(-1);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Status of(int code) {
        for (Status s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return UNKNOWN;
    }
}
