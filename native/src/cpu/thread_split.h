/*
 * thread_split.h — the fixed work split of the CPU reductions (weight gradients):
 * each thread sums a contiguous range of items into its own partial, and the
 * partials are added in thread order, so a result does not depend on timing
 * (a dynamic schedule would reorder the partial sums from run to run).
 */
#ifndef D4J_CPU_THREAD_SPLIT_H
#define D4J_CPU_THREAD_SPLIT_H

#include <stdint.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../runtime/backend_cpu.h"

/* The threads to ask OpenMP for: all when `work` multiply-adds pay for forking, at most `items`. */
static inline int d4j_split_threads(int64_t work, int64_t items) {
    int threads = 1;
#ifdef _OPENMP
    if (work >= 4 * D4J_CPU_PARALLEL_MIN) threads = omp_get_max_threads();
#endif
    (void)work;
    return threads > items ? (int)(items > 0 ? items : 1) : threads;
}

/* This thread's number in the enclosing parallel region (0 outside one). */
static inline int d4j_thread_num(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Inside the parallel region: this thread's items [*lo, *hi) of `items`. OpenMP may grant fewer
 * threads than asked (a thread limit, a nested region): the items are split by the threads
 * granted, and the partials of threads never started stay as initialized. Returns the thread's number. */
static inline int d4j_split_range(int64_t items, int64_t* lo, int64_t* hi) {
    int tid = 0, granted = 1;
#ifdef _OPENMP
    tid = omp_get_thread_num();
    granted = omp_get_num_threads();
#endif
    *lo = items * tid / granted;
    *hi = items * (tid + 1) / granted;
    return tid;
}

#endif /* D4J_CPU_THREAD_SPLIT_H */
