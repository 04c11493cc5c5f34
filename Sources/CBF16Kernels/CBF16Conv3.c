#include "CBF16Conv3.h"
#include "CBF16Kernels.h"

#include <string.h>

/// Outputs per block of the forward product (two B tiles of 16) and per k step of the weight
/// gradient's (16 pairs of positions).
#define BLOCK 32

size_t cbf16_conv3_row(size_t w) { return (w + 3) & ~(size_t)1; }

/// Outputs computed per plane: h rows of the grid, rounded up to whole blocks.
static size_t grid_outputs(size_t h, size_t w) { return (h * cbf16_conv3_row(w) + BLOCK - 1) / BLOCK * BLOCK; }

size_t cbf16_conv3_plane(size_t h, size_t w) {
    // The last block reads 31 + 2 * row + 2 past its first output, and the odd-position words of
    // the weight gradient one more.
    return (grid_outputs(h, w) + 2 * cbf16_conv3_row(w) + 4 + BLOCK - 1) / BLOCK * BLOCK;
}

/// Channel pairs per k step of the forward product: 16 (a 64-byte tile row), or all of them.
static size_t step_pairs(size_t channels) { return (channels + 1) / 2 < 16 ? (channels + 1) / 2 : 16; }

/// Channel pairs rounded up to whole k steps.
static size_t padded_pairs(size_t channels) {
    size_t step = step_pairs(channels);
    return ((channels + 1) / 2 + step - 1) / step * step;
}

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

size_t cbf16_conv3_pairs_words(size_t channels, size_t h, size_t w) {
    return padded_pairs(channels) * cbf16_conv3_plane(h, w);
}

size_t cbf16_conv3_weight_words(size_t out_channels, size_t channels) {
    return round16(out_channels) * 9 * padded_pairs(channels);
}

/// Pairs of positions per parity in the weight gradient's input words: enough for the last k
/// step's farthest tap.
static size_t position_pairs(size_t h, size_t w) { return grid_outputs(h, w) / 2 + cbf16_conv3_row(w) + 1; }

/// Bytes of the output-gradient planes at the start of a packed gradient image.
static size_t gradient_plane_bytes(size_t out_channels, size_t h, size_t w) {
    return round16(out_channels) * cbf16_conv3_plane(h, w) * sizeof(uint16_t);
}

size_t cbf16_conv3_gradient_image_bytes(size_t channels, size_t out_channels, size_t h, size_t w) {
    return gradient_plane_bytes(out_channels, h, w) + 2 * position_pairs(h, w) * round16(channels) * sizeof(uint32_t);
}

/// Offsets of the nine taps (dy, dx) on the grid.
static void tap_offsets(size_t row, size_t offsets[9]) {
    for (size_t t = 0; t < 9; t++) offsets[t] = t / 3 * row + t % 3;
}

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AMX_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16,amx-tile,amx-bf16")))

bool cbf16_conv3_supported(void) {
    // The packing uses AVX512-BF16's conversions, with its checks of the CPU and OS.
    if (!cbf16_supported()) return false;
    unsigned eax, ebx, ecx, edx, low, high;
    __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    // The OS saves the tile configuration and data.
    if ((low & 0x60000) != 0x60000) return false;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    if (!(edx & (1u << 22)) || !(edx & (1u << 24))) return false; // AMX-BF16, AMX-TILE
    // ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA: Linux hands out the tile state on request only.
    return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
}

/// The tile configuration (palette 1): bytes per row and rows of each of the 8 tiles.
struct tile_config {
    uint8_t palette, start_row, reserved[14];
    uint16_t bytes[16];
    uint8_t rows[16];
};

/// Tiles 0-3 accumulate 16 x 16 fp32; tiles 4, 5 are A (16 rows of `a_bytes`), 6, 7 are B
/// (`b_rows` rows of 64 bytes).
AMX_TARGET static void configure(size_t a_bytes, size_t b_rows) {
    struct tile_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 4; t++) config.bytes[t] = 64, config.rows[t] = 16;
    for (int t = 4; t < 6; t++) config.bytes[t] = (uint16_t)a_bytes, config.rows[t] = 16;
    for (int t = 6; t < 8; t++) config.bytes[t] = 64, config.rows[t] = (uint8_t)b_rows;
    _tile_loadconfig(&config);
}

static inline __mmask16 first_lanes(size_t count) {
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1);
}

/// fp32 -> bf16, rounded to nearest even, for values that are not NaN: the conversion
/// instructions' result on normal numbers, for the weight's scattered elements.
static inline uint32_t bf16_bits(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16;
}

AMX_TARGET void cbf16_conv3_pack_pairs(const float *src, size_t channels, size_t h, size_t w, uint32_t *dst) {
    // Word i of the result takes bf16 i of the first channel (low half) and bf16 i of the second.
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    size_t row = cbf16_conv3_row(w), plane = cbf16_conv3_plane(h, w);
    memset(dst, 0, cbf16_conv3_pairs_words(channels, h, w) * sizeof *dst);
    for (size_t p = 0; p < (channels + 1) / 2; p++) {
        const float *first = src + 2 * p * h * w, *second = 2 * p + 1 < channels ? first + h * w : NULL;
        for (size_t y = 0; y < h; y++) {
            uint32_t *line = dst + p * plane + (y + 1) * row + 1;
            for (size_t x = 0; x < w; x += 16) {
                __mmask16 mask = first_lanes(w - x);
                __m512 low = _mm512_maskz_loadu_ps(mask, first + y * w + x);
                __m512 high = second ? _mm512_maskz_loadu_ps(mask, second + y * w + x) : _mm512_setzero_ps();
                __m512i both = (__m512i)_mm512_cvtne2ps_pbh(high, low);
                _mm512_mask_storeu_epi32(line + x, mask, _mm512_permutexvar_epi16(interleave, both));
            }
        }
    }
}

void cbf16_conv3_pack_weight(const float *weight, size_t out_channels, size_t channels, uint32_t *dst) {
    size_t step = step_pairs(channels), steps = padded_pairs(channels) / step;
    for (size_t o = 0; o < round16(out_channels); o++) {
        for (size_t t = 0; t < 9; t++) {
            for (size_t p = 0; p < padded_pairs(channels); p++) {
                size_t c = 2 * p;
                uint32_t low = o < out_channels && c < channels ? bf16_bits(weight[(o * channels + c) * 9 + t]) : 0;
                uint32_t high =
                    o < out_channels && c + 1 < channels ? bf16_bits(weight[(o * channels + c + 1) * 9 + t]) : 0;
                // Tile (block, tap, k step), row o % 16, word p % step.
                dst[(((o / 16 * 9 + t) * steps + p / step) * 16 + o % 16) * step + p % step] = low | high << 16;
            }
        }
    }
}

AMX_TARGET void cbf16_conv3_forward(const uint32_t *pairs, size_t channels, size_t h, size_t w,
                                    const uint32_t *weight, size_t out_channels, size_t first_block,
                                    size_t end_block, const float *bias, float *grid, float *out) {
    size_t row = cbf16_conv3_row(w), plane = cbf16_conv3_plane(h, w), outputs = grid_outputs(h, w);
    size_t step = step_pairs(channels), steps = padded_pairs(channels) / step, offsets[9];
    size_t tileWords = 16 * step, blockWords = 9 * steps * tileWords, gridBytes = outputs * sizeof *grid;
    tap_offsets(row, offsets);
    configure(4 * step, step);
    for (size_t q0 = 0; q0 < outputs; q0 += BLOCK) {
        for (size_t block = first_block; block < end_block; block += 2) {
            int two = block + 1 < end_block;
            _tile_zero(0);
            _tile_zero(1);
            _tile_zero(2);
            _tile_zero(3);
            for (size_t t = 0; t < 9; t++) {
                for (size_t s = 0; s < steps; s++) {
                    const uint32_t *b = pairs + s * step * plane + q0 + offsets[t];
                    const uint32_t *a = weight + block * blockWords + (t * steps + s) * tileWords;
                    _tile_loadd(6, b, plane * sizeof *b);
                    _tile_loadd(7, b + 16, plane * sizeof *b);
                    _tile_loadd(4, a, step * sizeof *a);
                    _tile_dpbf16ps(0, 4, 6);
                    _tile_dpbf16ps(1, 4, 7);
                    if (two) {
                        _tile_loadd(5, a + blockWords, step * sizeof *a);
                        _tile_dpbf16ps(2, 5, 6);
                        _tile_dpbf16ps(3, 5, 7);
                    }
                }
            }
            float *products = grid + 16 * block * outputs + q0;
            _tile_stored(0, products, gridBytes);
            _tile_stored(1, products + 16, gridBytes);
            if (two) {
                _tile_stored(2, products + 16 * outputs, gridBytes);
                _tile_stored(3, products + 16 * outputs + 16, gridBytes);
            }
        }
    }
    _tile_release();
    // The grid's rows without their thrown-away columns, plus the bias.
    size_t end = 16 * end_block < out_channels ? 16 * end_block : out_channels;
    for (size_t o = 16 * first_block; o < end; o++) {
        __m512 b = _mm512_set1_ps(bias ? bias[o] : 0);
        for (size_t y = 0; y < h; y++) {
            const float *from = grid + o * outputs + y * row;
            float *to = out + (o * h + y) * w;
            for (size_t x = 0; x < w; x += 16) {
                __mmask16 mask = first_lanes(w - x);
                _mm512_mask_storeu_ps(to + x, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, from + x), b));
            }
        }
    }
}

size_t cbf16_conv3_grid_floats(size_t out_channels, size_t h, size_t w) {
    return round16(out_channels) * grid_outputs(h, w);
}

AMX_TARGET void cbf16_conv3_pack_gradient_image(const float *input, const float *gradient, size_t channels,
                                                size_t out_channels, size_t h, size_t w, uint16_t *scratch,
                                                void *dst) {
    size_t row = cbf16_conv3_row(w), plane = cbf16_conv3_plane(h, w);
    uint16_t *gradientPlanes = dst;
    // The gradient's planes (zero planes up to 16 channels) into dst, the input's into scratch.
    for (int which = 0; which < 2; which++) {
        const float *src = which ? input : gradient;
        size_t count = which ? channels : out_channels, padded = which ? count : round16(count);
        uint16_t *target = which ? scratch : gradientPlanes;
        memset(target, 0, padded * plane * sizeof *target);
        for (size_t c = 0; c < count; c++) {
            for (size_t y = 0; y < h; y++) {
                const float *line = src + (c * h + y) * w;
                uint16_t *to = target + c * plane + (y + 1) * row + 1;
                for (size_t x = 0; x < w; x += 32) {
                    __mmask16 low = first_lanes(w - x), high = w - x > 16 ? first_lanes(w - x - 16) : 0;
                    __m512i both = (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(high, line + x + 16),
                                                                _mm512_maskz_loadu_ps(low, line + x));
                    _mm512_mask_storeu_epi16(to + x, (__mmask32)low | (__mmask32)high << 16, both);
                }
            }
        }
    }
    // Words (parity, j, c) = the input planes' elements 2j + parity and 2j + parity + 1, gathered
    // 16 channels at a time.
    size_t pairCount = position_pairs(h, w), paddedChannels = round16(channels);
    uint32_t *words = (uint32_t *)((char *)dst + gradient_plane_bytes(out_channels, h, w));
    const __m512i channelOffsets = _mm512_mullo_epi32(
        _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32((int)(plane * 2)));
    for (size_t parity = 0; parity < 2; parity++) {
        for (size_t j = 0; j < pairCount; j++) {
            for (size_t c = 0; c < paddedChannels; c += 16) {
                __mmask16 mask = c < channels ? first_lanes(channels - c) : 0;
                const uint16_t *base = scratch + c * plane + 2 * j + parity;
                __m512i v = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, channelOffsets, base, 1);
                _mm512_storeu_si512(words + (parity * pairCount + j) * paddedChannels + c, v);
            }
        }
    }
}

AMX_TARGET void cbf16_conv3_weight_gradient(const void *packed, size_t images, size_t channels,
                                            size_t out_channels, size_t h, size_t w, float *sums) {
    size_t row = cbf16_conv3_row(w), plane = cbf16_conv3_plane(h, w), outputs = grid_outputs(h, w);
    size_t pairCount = position_pairs(h, w), paddedChannels = round16(channels);
    size_t paddedOut = round16(out_channels), imageBytes = cbf16_conv3_gradient_image_bytes(channels, out_channels, h, w);
    size_t planeBytes = gradient_plane_bytes(out_channels, h, w), offsets[9];
    tap_offsets(row, offsets);
    configure(64, 16);
    float products[4][16][16] __attribute__((aligned(64)));
    for (size_t t = 0; t < 9; t++) {
        size_t parity = offsets[t] & 1;
        for (size_t ob = 0; ob < paddedOut; ob += 32) {
            int twoOut = ob + 16 < paddedOut;
            for (size_t cb = 0; cb < paddedChannels; cb += 32) {
                int twoIn = cb + 16 < paddedChannels;
                _tile_zero(0);
                _tile_zero(1);
                _tile_zero(2);
                _tile_zero(3);
                for (size_t image = 0; image < images; image++) {
                    const char *base = (const char *)packed + image * imageBytes;
                    // Grid position q of output channel o at element (row + 1) + q of its plane.
                    const uint16_t *dy = (const uint16_t *)base + ob * plane + row + 1;
                    const uint32_t *x = (const uint32_t *)(base + planeBytes) + parity * pairCount * paddedChannels + cb;
                    for (size_t q0 = 0; q0 < outputs; q0 += BLOCK) {
                        const uint32_t *b = x + (q0 + offsets[t]) / 2 * paddedChannels;
                        _tile_loadd(4, dy + q0, plane * sizeof *dy);
                        _tile_loadd(6, b, paddedChannels * sizeof *b);
                        _tile_dpbf16ps(0, 4, 6);
                        if (twoIn) {
                            _tile_loadd(7, b + 16, paddedChannels * sizeof *b);
                            _tile_dpbf16ps(1, 4, 7);
                        }
                        if (twoOut) {
                            _tile_loadd(5, dy + 16 * plane + q0, plane * sizeof *dy);
                            _tile_dpbf16ps(2, 5, 6);
                            if (twoIn) _tile_dpbf16ps(3, 5, 7);
                        }
                    }
                }
                _tile_stored(0, products[0], 64);
                _tile_stored(1, products[1], 64);
                _tile_stored(2, products[2], 64);
                _tile_stored(3, products[3], 64);
                for (size_t i = 0; i < (twoOut ? 32u : 16u); i++) {
                    for (size_t k = 0; k < (twoIn ? 32u : 16u); k += 16) {
                        float *target = sums + (t * paddedOut + ob + i) * paddedChannels + cb + k;
                        __m512 p = _mm512_load_ps(products[2 * (i / 16) + k / 16][i % 16]);
                        _mm512_storeu_ps(target, _mm512_add_ps(_mm512_loadu_ps(target), p));
                    }
                }
            }
        }
    }
    _tile_release();
}

#else

bool cbf16_conv3_supported(void) { return false; }

void cbf16_conv3_pack_pairs(const float *src, size_t channels, size_t h, size_t w, uint32_t *dst) { __builtin_trap(); }

void cbf16_conv3_pack_weight(const float *weight, size_t out_channels, size_t channels, uint32_t *dst) {
    __builtin_trap();
}

void cbf16_conv3_forward(const uint32_t *pairs, size_t channels, size_t h, size_t w, const uint32_t *weight,
                         size_t out_channels, size_t first_block, size_t end_block, const float *bias, float *grid,
                         float *out) {
    __builtin_trap();
}

size_t cbf16_conv3_grid_floats(size_t out_channels, size_t h, size_t w) { __builtin_trap(); }

void cbf16_conv3_pack_gradient_image(const float *input, const float *gradient, size_t channels,
                                     size_t out_channels, size_t h, size_t w, uint16_t *scratch, void *dst) {
    __builtin_trap();
}

void cbf16_conv3_weight_gradient(const void *packed, size_t images, size_t channels, size_t out_channels,
                                 size_t h, size_t w, float *sums) {
    __builtin_trap();
}

#endif
