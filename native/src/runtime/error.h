/*
 * error.h — status codes with a thread-local message.
 * Every public entry point reports failure through d4j_fail, which records
 * "function: message" for d4j_last_error() and returns the status.
 */
#ifndef D4J_ERROR_H
#define D4J_ERROR_H

#include "d4j.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
d4j_status d4j_fail(const char* fn, d4j_status status, const char* fmt, ...);
void d4j_clear_error(void);

/* Returns from the calling function when `call` fails. */
#define D4J_TRY(call)                       \
    do {                                    \
        d4j_status d4j_try_status_ = (call); \
        if (d4j_try_status_ != D4J_OK) return d4j_try_status_; \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif /* D4J_ERROR_H */
