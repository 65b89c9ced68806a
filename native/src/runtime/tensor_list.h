/*
 * tensor_list.h — the checks of the tensor lists the multi-tensor ops
 * (AdamW, the EMA of weights, gradient clipping) take, and the packing of
 * those lists into CUDA launch tables (tensor_list.c).
 */
#ifndef D4J_TENSOR_LIST_H
#define D4J_TENSOR_LIST_H

#include "../core/tensor_table.h"
#include "d4j.h"

/* Every list[i] passes d4j_check_output (written != 0) or d4j_check_tensor and, when like is
 * given, is shaped like like[i]. */
struct d4j_tensor;
d4j_status d4j_check_tensor_list(const char* fn, const char* name, d4j_tensor* const* list, int32_t count,
                                 const d4j_ctx* ctx, d4j_tensor* const* like, const char* like_name, int written);
/* A tensor an op writes (a list with written[l] != 0) may appear only once across all the lists;
 * tensors it only reads may repeat. Names the first two places of a repeated one. */
d4j_status d4j_check_distinct(const char* fn, int nlists, d4j_tensor* const* const* lists, const char* const* names,
                              const int* written, int32_t count);
/* Fills t with the tensors of the lists (nlists <= D4J_TABLE_LISTS) from index `first` on, as many as
 * fit in one table; returns the index after the last one taken. */
int32_t d4j_table_fill(d4j_tensor_table* t, int nlists, d4j_tensor* const* const* lists, int32_t first, int32_t count);

#endif /* D4J_TENSOR_LIST_H */
