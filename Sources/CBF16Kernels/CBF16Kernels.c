#include "CBF16Kernels.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))

bool cbf16_supported(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) return false;
    // The OS must save the AVX-512 state: XMM, YMM, opmask and both halves of the ZMM registers.
    unsigned low, high;
    __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if ((low & 0xE6) != 0xE6) return false;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || !(ebx & bit_AVX512F) || !(ebx & bit_AVX512BW)) return false;
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
    return (eax & (1u << 5)) != 0; // CPUID.(EAX=7,ECX=1):EAX[5] is AVX512_BF16
}

static inline size_t pairs(size_t k) { return (k + 1) / 2; }

static inline __mmask16 first_lanes(size_t count) {
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1);
}

BF16_TARGET void cbf16_convert(const float *src, uint16_t *dst, size_t count) {
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512bh converted = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512(dst + i, (__m512i)converted);
    }
    for (; i < count; i += 16) {
        __mmask16 mask = first_lanes(count - i);
        __m512bh converted = _mm512_cvtne2ps_pbh(_mm512_setzero_ps(), _mm512_maskz_loadu_ps(mask, src + i));
        _mm512_mask_storeu_epi16(dst + i, (__mmask32)mask, (__m512i)converted);
    }
}

size_t cbf16_packed_words(size_t rows, size_t k, size_t width) {
    return (rows + width - 1) / width * width * pairs(k);
}

/// Packs panel q of a k-contiguous matrix: each row's k steps are converted 32 at a time and
/// their pairs scattered to the row's lane.
BF16_TARGET static void pack_rows(const float *src, size_t ld, size_t rows, size_t k, size_t width, size_t q,
                                  uint32_t *panel) {
    size_t kp = pairs(k);
    for (size_t lane = 0; lane < width; lane++) {
        size_t r = q * width + lane;
        if (r >= rows) {
            for (size_t p2 = 0; p2 < kp; p2++) panel[p2 * width + lane] = 0;
            continue;
        }
        const float *row = src + r * ld;
        uint32_t words[16] __attribute__((aligned(64)));
        for (size_t p = 0; p < k; p += 32) {
            __m512 low = _mm512_maskz_loadu_ps(first_lanes(k - p), row + p);
            __m512 high = _mm512_maskz_loadu_ps(k - p > 16 ? first_lanes(k - p - 16) : 0, row + p + 16);
            _mm512_store_si512(words, (__m512i)_mm512_cvtne2ps_pbh(high, low));
            size_t count = (k - p + 1) / 2 < 16 ? (k - p + 1) / 2 : 16;
            for (size_t w = 0; w < count; w++) panel[(p / 2 + w) * width + lane] = words[w];
        }
    }
}

/// Packs panel q of a k-major matrix: for each pair of steps, 16 rows of both steps are converted
/// together and interleaved so each word holds one row's two steps.
BF16_TARGET static void pack_columns(const float *src, size_t ld, size_t rows, size_t k, size_t width, size_t q,
                                     uint32_t *panel) {
    // Word w of the result takes bf16 w of the first step (low half) and bf16 w of the second.
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    size_t kp = pairs(k);
    for (size_t lane = 0; lane < width; lane += 16) {
        size_t r = q * width + lane;
        __mmask16 rowMask = r < rows ? first_lanes(rows - r) : 0;
        __mmask16 laneMask = first_lanes(width - lane);
        for (size_t p2 = 0; p2 < kp; p2++) {
            __m512 first = _mm512_maskz_loadu_ps(rowMask, src + 2 * p2 * ld + r);
            __m512 second = 2 * p2 + 1 < k ? _mm512_maskz_loadu_ps(rowMask, src + (2 * p2 + 1) * ld + r)
                                            : _mm512_setzero_ps();
            __m512i both = (__m512i)_mm512_cvtne2ps_pbh(second, first);
            _mm512_mask_storeu_epi32(panel + p2 * width + lane, laneMask, _mm512_permutexvar_epi16(interleave, both));
        }
    }
}

BF16_TARGET void cbf16_pack(const float *src, size_t ld, bool k_contiguous, size_t rows, size_t k, size_t width,
                            size_t first_panel, size_t end_panel, uint32_t *dst) {
    size_t panelWords = width * pairs(k);
    for (size_t q = first_panel; q < end_panel; q++) {
        if (k_contiguous) {
            pack_rows(src, ld, rows, k, width, q, dst + q * panelWords);
        } else {
            pack_columns(src, ld, rows, k, width, q, dst + q * panelWords);
        }
    }
}

/// One 8 x 32 tile of C over `kp` pairs of steps; rows past `m` and columns past `n` are not
/// written. Row i's word for pair p is a[p * pair_step + i * row_step]: packed (8, 1) or bf16 rows.
BF16_TARGET static inline void tile(size_t kp, const uint32_t *a, size_t pair_step, size_t row_step,
                                    const uint32_t *b, float alpha, float beta, float *c, size_t ldc, size_t m,
                                    size_t n) {
    __m512 acc[CBF16_TILE_ROWS][2];
    for (int i = 0; i < CBF16_TILE_ROWS; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (size_t p = 0; p < kp; p++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + p * CBF16_TILE_COLUMNS);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + p * CBF16_TILE_COLUMNS + 16);
        const uint32_t *ap = a + p * pair_step;
        for (int i = 0; i < CBF16_TILE_ROWS; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)ap[i * row_step]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
    }
    const __m512 betas = _mm512_set1_ps(beta);
    if (m >= CBF16_TILE_ROWS && n >= CBF16_TILE_COLUMNS && alpha == 1) {
        // Whole tiles, as the Winograd products make them, straight from the registers: the
        // general loop below keeps its accumulators on the stack.
        for (int i = 0; i < CBF16_TILE_ROWS; i++) {
            float *row = c + i * ldc;
            __m512 r0 = acc[i][0], r1 = acc[i][1];
            if (beta != 0) {
                r0 = _mm512_fmadd_ps(betas, _mm512_loadu_ps(row), r0);
                r1 = _mm512_fmadd_ps(betas, _mm512_loadu_ps(row + 16), r1);
            }
            _mm512_storeu_ps(row, r0);
            _mm512_storeu_ps(row + 16, r1);
        }
        return;
    }
    const __m512 alphas = _mm512_set1_ps(alpha);
    __mmask16 mask0 = first_lanes(n), mask1 = n > 16 ? first_lanes(n - 16) : 0;
    for (size_t i = 0; i < m && i < CBF16_TILE_ROWS; i++) {
        float *row = c + i * ldc;
        // The Winograd products' partial tiles have alpha 1 too: a multiply per accumulator is 6%
        // of a 16-pair tile.
        __m512 r0 = acc[i][0], r1 = acc[i][1];
        if (alpha != 1) {
            r0 = _mm512_mul_ps(alphas, r0);
            r1 = _mm512_mul_ps(alphas, r1);
        }
        if (beta != 0) {
            r0 = _mm512_fmadd_ps(betas, _mm512_maskz_loadu_ps(mask0, row), r0);
            r1 = _mm512_fmadd_ps(betas, _mm512_maskz_loadu_ps(mask1, row + 16), r1);
        }
        _mm512_mask_storeu_ps(row, mask0, r0);
        _mm512_mask_storeu_ps(row + 16, mask1, r1);
    }
}

/// Pairs of steps per block: a 32-column B panel of this depth (32 KiB) stays in L1.
#define BLOCK_PAIRS 256

BF16_TARGET void cbf16_multiply_packed(size_t k, float alpha, const uint32_t *packed_a, const uint32_t *packed_b,
                                       float beta, float *c, size_t ldc, size_t row_begin, size_t row_end,
                                       size_t column_begin, size_t column_end) {
    size_t kp = pairs(k);
    for (size_t p0 = 0; p0 < kp; p0 += BLOCK_PAIRS) {
        size_t depth = kp - p0 < BLOCK_PAIRS ? kp - p0 : BLOCK_PAIRS;
        // Later blocks add to what the earlier ones stored.
        float blockBeta = p0 == 0 ? beta : 1;
        for (size_t j = column_begin; j < column_end; j += CBF16_TILE_COLUMNS) {
            const uint32_t *b = packed_b + (j / CBF16_TILE_COLUMNS * kp + p0) * CBF16_TILE_COLUMNS;
            for (size_t i = row_begin; i < row_end; i += CBF16_TILE_ROWS) {
                const uint32_t *a = packed_a + (i / CBF16_TILE_ROWS * kp + p0) * CBF16_TILE_ROWS;
                tile(depth, a, CBF16_TILE_ROWS, 1, b, alpha, blockBeta, c + i * ldc + j, ldc, row_end - i,
                     column_end - j);
            }
        }
    }
}

BF16_TARGET void cbf16_convert_rows(const float *src, size_t ld, size_t rows, size_t k, uint16_t *dst) {
    size_t kp = pairs(k);
    for (size_t r = 0; r < rows; r++) {
        cbf16_convert(src + r * ld, dst + r * 2 * kp, k);
        if (k % 2 == 1) dst[r * 2 * kp + k] = 0;
    }
}

BF16_TARGET void cbf16_multiply_rows(size_t k, float alpha, const uint16_t *a_rows, size_t row_words,
                                     const uint32_t *packed_b, size_t panel_pairs, float beta, float *c, size_t ldc,
                                     size_t rows, size_t column_begin, size_t column_end) {
    size_t kp = pairs(k);
    const uint32_t *a_words = (const uint32_t *)a_rows;
    for (size_t p0 = 0; p0 < kp; p0 += BLOCK_PAIRS) {
        size_t depth = kp - p0 < BLOCK_PAIRS ? kp - p0 : BLOCK_PAIRS;
        float blockBeta = p0 == 0 ? beta : 1;
        for (size_t j = column_begin; j < column_end; j += CBF16_TILE_COLUMNS) {
            const uint32_t *b = packed_b + (j / CBF16_TILE_COLUMNS * panel_pairs + p0) * CBF16_TILE_COLUMNS;
            for (size_t i = 0; i < rows; i += CBF16_TILE_ROWS) {
                tile(depth, a_words + i * row_words + p0, 1, row_words, b, alpha, blockBeta, c + i * ldc + j, ldc, rows - i,
                     column_end - j);
            }
        }
    }
}

#else

bool cbf16_supported(void) { return false; }

void cbf16_convert(const float *src, uint16_t *dst, size_t count) { __builtin_trap(); }

size_t cbf16_packed_words(size_t rows, size_t k, size_t width) { return (rows + width - 1) / width * width * ((k + 1) / 2); }

void cbf16_pack(const float *src, size_t ld, bool k_contiguous, size_t rows, size_t k, size_t width,
                size_t first_panel, size_t end_panel, uint32_t *dst) { __builtin_trap(); }

void cbf16_multiply_packed(size_t k, float alpha, const uint32_t *packed_a, const uint32_t *packed_b, float beta,
                           float *c, size_t ldc, size_t row_begin, size_t row_end, size_t column_begin,
                           size_t column_end) { __builtin_trap(); }

void cbf16_convert_rows(const float *src, size_t ld, size_t rows, size_t k, uint16_t *dst) { __builtin_trap(); }

void cbf16_multiply_rows(size_t k, float alpha, const uint16_t *a_rows, size_t row_words, const uint32_t *packed_b,
                         size_t panel_pairs, float beta, float *c, size_t ldc, size_t rows, size_t column_begin,
                         size_t column_end) {
    __builtin_trap();
}

#endif
