#ifndef CBF16_KERNELS_H
#define CBF16_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// bf16 matrix products on AVX512-BF16's dot-product instruction (vdpbf16ps: two bf16 products
// summed into each fp32 lane). Operands are converted from fp32 with round-to-nearest-even and
// packed so that each 32-bit word holds two consecutive k steps of one row (of op(A)) or column
// (of op(B)); products accumulate in fp32.
//
// Every function but cbf16_supported requires cbf16_supported() to be true: they are compiled
// for AVX512-BF16 alone, so the rest of the binary still runs on CPUs without it.

/// Rows of op(A) per packed panel and micro-kernel tile.
#define CBF16_TILE_ROWS 8
/// Columns of op(B) per packed panel and micro-kernel tile.
#define CBF16_TILE_COLUMNS 32

/// Whether this CPU and OS run AVX512-F and AVX512-BF16 instructions.
bool cbf16_supported(void);

/// dst[i] = bf16(src[i]), rounded to nearest even, for i < count.
void cbf16_convert(const float *src, uint16_t *dst, size_t count);

/// Words in the packing of `rows` rows of depth `k` into panels of `width` rows.
size_t cbf16_packed_words(size_t rows, size_t k, size_t width);

/// Packs panels [first_panel, end_panel) of a matrix of `rows` rows and depth `k` whose element
/// (r, p) is src[r * ld + p] when `k_contiguous`, else src[p * ld + r]. Panel q holds rows
/// q*width ..< (q+1)*width; word (q, p2, r) = dst[(q * ceil(k/2) + p2) * width + r] holds the bf16
/// of elements (r, 2*p2) in its low half and (r, 2*p2+1) in its high half; rows past `rows` and
/// the step past an odd k are zero. `width` is CBF16_TILE_ROWS or CBF16_TILE_COLUMNS.
void cbf16_pack(const float *src, size_t ld, bool k_contiguous, size_t rows, size_t k, size_t width,
                size_t first_panel, size_t end_panel, uint32_t *dst);

/// C[i][j] = alpha * sum_p op(A)[i][p] * op(B)[p][j] + beta * C[i][j] for rows [row_begin, row_end)
/// and columns [column_begin, column_end) of C, from op(A) packed with width CBF16_TILE_ROWS and
/// op(B) packed with width CBF16_TILE_COLUMNS (both of depth k). row_begin must be a multiple of
/// CBF16_TILE_ROWS and column_begin of CBF16_TILE_COLUMNS; k must be positive. C is not read when
/// beta is 0.
void cbf16_multiply_packed(size_t k, float alpha, const uint32_t *packed_a, const uint32_t *packed_b, float beta,
                           float *c, size_t ldc, size_t row_begin, size_t row_end, size_t column_begin,
                           size_t column_end);

/// dst row r (ceil(k/2) words) = bf16(src[r * ld ..< r * ld + k]), with a zero past an odd k: an
/// operand's rows as `cbf16_multiply_rows` reads A, for r < rows.
void cbf16_convert_rows(const float *src, size_t ld, size_t rows, size_t k, uint16_t *dst);

/// `cbf16_multiply_packed` for rows [0, rows) with A given as rows of bf16 (`cbf16_convert_rows`)
/// instead of packed panels, `row_words` words apart (at least ceil(k/2)), and B's panels
/// `panel_pairs` pairs of steps apart (at least ceil(k/2)): a row's pairs of steps are its
/// consecutive words, so an operand that is k-contiguous needs no transposition. Rows are read 8 at
/// a time: `a_rows` must hold `rows` rounded up to a multiple of CBF16_TILE_ROWS (the rows past
/// `rows` only reach dropped results).
void cbf16_multiply_rows(size_t k, float alpha, const uint16_t *a_rows, size_t row_words, const uint32_t *packed_b,
                         size_t panel_pairs, float beta, float *c, size_t ldc, size_t rows, size_t column_begin,
                         size_t column_end);

// The 3x3 convolutions on AMX tiles.
#include "CBF16Conv3.h"

#endif
