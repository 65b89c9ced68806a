/* error.c — thread-local last-error message and status names. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

d4j_status d4j_fail(const char* fn, d4j_status status, const char* fmt, ...) {
    int n = snprintf(last_error, sizeof last_error, "%s: ", fn);
    if (n < 0 || (size_t)n >= sizeof last_error) n = 0;
    va_list args;
    va_start(args, fmt);
    vsnprintf(last_error + n, sizeof last_error - (size_t)n, fmt, args);
    va_end(args);
    return status;
}

void d4j_clear_error(void) { last_error[0] = '\0'; }

const char* d4j_last_error(void) { return last_error; }

const char* d4j_status_name(d4j_status status) {
    switch (status) {
    case D4J_OK: return "D4J_OK";
    case D4J_ERR_INVALID_ARGUMENT: return "D4J_ERR_INVALID_ARGUMENT";
    case D4J_ERR_INVALID_HANDLE: return "D4J_ERR_INVALID_HANDLE";
    case D4J_ERR_SHAPE: return "D4J_ERR_SHAPE";
    case D4J_ERR_DEVICE: return "D4J_ERR_DEVICE";
    case D4J_ERR_OUT_OF_MEMORY: return "D4J_ERR_OUT_OF_MEMORY";
    case D4J_ERR_NO_DEVICE: return "D4J_ERR_NO_DEVICE";
    case D4J_ERR_CUDA: return "D4J_ERR_CUDA";
    case D4J_ERR_INTERNAL: return "D4J_ERR_INTERNAL";
    case D4J_ERR_UNSUPPORTED: return "D4J_ERR_UNSUPPORTED";
    default: return "D4J_ERR_UNKNOWN";
    }
}
