/*
 * tensor_table.h — the table of tensors a multi-tensor op (AdamW, the EMA of
 * weights, gradient clipping) hands to one CUDA launch; runtime/tensor_list.c
 * fills it from the op's tensor lists, cuda/tensor_table.cuh walks it.
 */
#ifndef D4J_TENSOR_TABLE_H
#define D4J_TENSOR_TABLE_H

#include <stdint.h>

/* Up to D4J_TABLE_TENSORS tensors of up to D4J_TABLE_LISTS lists, passed by value as
 * one CUDA kernel parameter (under the 4 KiB limit): one launch updates them all.
 * Their elements are laid end to end: tensor i holds [start[i], start[i+1]). */
#define D4J_TABLE_TENSORS 32
#define D4J_TABLE_LISTS 4
typedef struct d4j_tensor_table {
    float* data[D4J_TABLE_LISTS][D4J_TABLE_TENSORS]; /* data[list][i]: AdamW p, m, v, g; EMA ema, p; clip g */
    int64_t start[D4J_TABLE_TENSORS + 1];
    int32_t count;
} d4j_tensor_table;

/* Blocks of a multi-tensor launch at most; the sum of squares leaves one float64 partial per block. */
#define D4J_CUDA_TABLE_BLOCKS 1024

#endif /* D4J_TENSOR_TABLE_H */
