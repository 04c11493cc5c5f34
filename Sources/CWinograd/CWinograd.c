#include "CWinograd.h"

#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

// r[i][j] -> r[j][i] for 16 vectors of 16.
static inline AVX512 void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
        __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 4; j++) {
            t[8 * i + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + 4 + j], 0x88);
            t[8 * i + 4 + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + 4 + j], 0xdd);
        }
    }
    for (int j = 0; j < 8; j++) {
        r[j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88);
        r[8 + j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0xdd);
    }
}

// Lanes p of [from, from + 16) whose column from + p lies in [0, width) and p < span.
static inline __mmask16 column_mask(int from, int span, int width) {
    unsigned mask = 0;
    for (int p = 0; p < 16 && p < span; p++) {
        if (from + p >= 0 && from + p < width) mask |= 1u << p;
    }
    return (__mmask16)mask;
}

// Whole rows of a map this narrow fit a vector several times over: one 16-float load from a row's
// first column holds 16 / width rows, so one transpose serves them all (wider maps take one per row).
enum { narrow_width = 8 };

// Whether an item of `tiles` tiles from `first_tile` covers whole rows of a narrow map.
static inline int covers_narrow_rows(int width, int first_tile, int tiles) {
    return width <= narrow_width && first_tile == 0 && 4 * tiles >= width;
}

// How many of the rows from y (before `height`, at most `wanted`) one load holds on a narrow map.
static inline int rows_per_load(int y, int height, int width, int wanted) {
    int rows = 16 / width;
    if (rows > height - y) rows = height - y;
    return rows < wanted ? rows : wanted;
}

// The six values of B^T x: 4x0 - 5x2 + x4, (x4 - 4x2) +- (x3 - 4x1), (x4 - x2) +- 2(x3 - x1),
// 4x1 - 5x3 + x5.
static inline AVX512 void input_rows(const __m512 x[6], __m512 y[6]) {
    const __m512 four = _mm512_set1_ps(4), five = _mm512_set1_ps(5), two = _mm512_set1_ps(2);
    __m512 a = _mm512_fnmadd_ps(four, x[2], x[4]), b = _mm512_fnmadd_ps(four, x[1], x[3]);
    __m512 c = _mm512_sub_ps(x[4], x[2]), d = _mm512_mul_ps(two, _mm512_sub_ps(x[3], x[1]));
    y[0] = _mm512_fnmadd_ps(five, x[2], _mm512_fmadd_ps(four, x[0], x[4]));
    y[1] = _mm512_add_ps(a, b);
    y[2] = _mm512_sub_ps(a, b);
    y[3] = _mm512_add_ps(c, d);
    y[4] = _mm512_sub_ps(c, d);
    y[5] = _mm512_fnmadd_ps(five, x[3], _mm512_fmadd_ps(four, x[1], x[5]));
}

// The four values of A^T x: x0 + (x1 + x2) + (x3 + x4), (x1 - x2) + 2(x3 - x4),
// (x1 + x2) + 4(x3 + x4), (x1 - x2) + 8(x3 - x4) + x5.
static inline AVX512 void output_rows(const __m512 x[6], __m512 y[4]) {
    __m512 p = _mm512_add_ps(x[1], x[2]), q = _mm512_sub_ps(x[1], x[2]);
    __m512 r = _mm512_add_ps(x[3], x[4]), s = _mm512_sub_ps(x[3], x[4]);
    y[0] = _mm512_add_ps(_mm512_add_ps(x[0], p), r);
    y[1] = _mm512_fmadd_ps(_mm512_set1_ps(2), s, q);
    y[2] = _mm512_fmadd_ps(_mm512_set1_ps(4), r, p);
    y[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8), s, q), x[5]);
}

AVX512 void cwino4_block_rows(const float *images, size_t image_stride, int count, int channels, int height,
                              int width, int first_row, int rows, float *blocked, int padded_width) {
    const size_t plane = (size_t)height * width, row_stride = (size_t)padded_width * 16;
    const int top = first_row < 0 ? 0 : first_row;
    const int bottom = first_row + rows < height ? first_row + rows : height;
    for (int c = 0; c < channels; c++) {
        float *channel = blocked + (size_t)c * rows * row_stride;
        for (int y = first_row; y < first_row + rows; y++) {
            if (y >= 0 && y < height) continue;
            float *row = channel + (size_t)(y - first_row) * row_stride;
            for (int x = 0; x < padded_width; x++) _mm512_storeu_ps(row + 16 * x, _mm512_setzero_ps());
        }
        // The map's rows are one run per image: 16 consecutive values of each, transposed.
        const float *source = images + c * plane;
        const size_t end = (size_t)bottom * width;
        for (size_t p = (size_t)top * width; p < end; p += 16) {
            const int n = end - p < 16 ? (int)(end - p) : 16;
            const __mmask16 run = (__mmask16)((1u << n) - 1);
            __m512 a[16];
            for (int i = 0; i < 16; i++) {
                a[i] = i < count ? _mm512_maskz_loadu_ps(run, source + p + i * image_stride) : _mm512_setzero_ps();
            }
            transpose16(a);
            int y = (int)(p / width), x = (int)(p % width);
            for (int j = 0; j < n; j++) {
                _mm512_storeu_ps(channel + (size_t)(y - first_row) * row_stride + 16 * (x + 1), a[j]);
                if (++x == width) {
                    x = 0;
                    y++;
                }
            }
        }
    }
}

// v[6 * r + k] = element (r, k) of B^T d B for the 6x6 patch d whose rows start at `patch`,
// `row_stride` floats apart, its columns 16 floats apart.
static inline AVX512 void transform_patch(const float *patch, size_t row_stride, __m512 v[36]) {
    // Columns of B^T d, then rows of (B^T d) B.
    __m512 columns[6][6];
    for (int k = 0; k < 6; k++) {
        __m512 x[6], y[6];
        for (int r = 0; r < 6; r++) x[r] = _mm512_loadu_ps(patch + r * row_stride + 16 * k);
        input_rows(x, y);
        for (int r = 0; r < 6; r++) columns[r][k] = y[r];
    }
    for (int r = 0; r < 6; r++) input_rows(columns[r], v + 6 * r);
}

// Where the item's patches sit in a band (`cwino4_block_rows`): channel c's patch of tile t at
// origin + c * channel_stride + 64 * t, rows row_stride apart.
struct band_item {
    const float *origin;
    size_t row_stride, channel_stride;
};

static inline struct band_item band_item(const float *blocked, int rows, int padded_width, int band_tile_row,
                                         int first_tile) {
    const size_t row_stride = (size_t)padded_width * 16;
    return (struct band_item){blocked + 4 * band_tile_row * row_stride + 64 * (size_t)first_tile, row_stride,
                              rows * row_stride};
}

// e[t]: B^T d B of channel c's patch for each of the item's tiles t.
static inline AVX512 void transform_channel(const struct band_item *item, int c, int tiles, __m512 e[4][36]) {
    for (int t = 0; t < tiles; t++) {
        transform_patch(item->origin + c * item->channel_stride + 64 * t, item->row_stride, e[t]);
    }
}

AVX512 void cwino4_transform_input(const float *blocked, int rows, int padded_width, int channels, int band_tile_row,
                                   int first_tile, int tiles, float *v, size_t element_stride, size_t stride) {
    const struct band_item item = band_item(blocked, rows, padded_width, band_tile_row, first_tile);
    for (int c = 0; c < channels; c++) {
        __m512 e[4][36];
        transform_channel(&item, c, tiles, e);
        for (int t = 0; t < tiles; t++) {
            for (int k = 0; k < 36; k++) _mm512_storeu_ps(v + c * stride + 16 * t + k * element_stride, e[t][k]);
        }
    }
}

#define BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))

BF16 void cwino4_transform_input_pairs(const float *blocked, int rows, int padded_width, int channels,
                                       int band_tile_row, int first_tile, int tiles, uint32_t *pairs,
                                       size_t element_words, int column) {
    const struct band_item item = band_item(blocked, rows, padded_width, band_tile_row, first_tile);
    // Word w of the result takes bf16 w of the even channel (low half) and bf16 w of the odd one.
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7,
                                                22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const int channel_pairs = (channels + 1) / 2;
    for (int p2 = 0; p2 < channel_pairs; p2++) {
        __m512 a[4][36], b[4][36];
        transform_channel(&item, 2 * p2, tiles, a);
        if (2 * p2 + 1 < channels) {
            transform_channel(&item, 2 * p2 + 1, tiles, b);
        } else {
            for (int t = 0; t < tiles; t++) {
                for (int k = 0; k < 36; k++) b[t][k] = _mm512_setzero_ps();
            }
        }
        for (int t = 0; t < tiles; t++) {
            // The tile's 16 columns sit in one 32-column panel.
            const int first = column + 16 * t;
            uint32_t *target = pairs + ((size_t)(first / 32) * channel_pairs + p2) * 32 + first % 32;
            for (int k = 0; k < 36; k++) {
                __m512i both = (__m512i)_mm512_cvtne2ps_pbh(b[t][k], a[t][k]);
                _mm512_storeu_si512(target + k * element_words, _mm512_permutexvar_epi16(interleave, both));
            }
        }
    }
}

BF16 void cwino4_transform_input_rows(const float *blocked, int rows, int padded_width, int channels,
                                      int band_tile_row, int first_tile, int tiles, uint16_t *v,
                                      size_t element_halves, size_t row_halves) {
    const struct band_item item = band_item(blocked, rows, padded_width, band_tile_row, first_tile);
    for (int c = 0; c < channels; c++) {
        __m512 e[4][36];
        transform_channel(&item, c, tiles, e);
        for (int t = 0; t < tiles; t++) {
            uint16_t *target = v + c * row_halves + 16 * t;
            for (int k = 0; k < 36; k++) {
                _mm256_storeu_si256((__m256i *)(target + k * element_halves), (__m256i)_mm512_cvtneps_pbh(e[t][k]));
            }
        }
    }
}

AVX512 void cwino4_transform_output(const float *m, size_t element_stride, size_t stride, int first_channel,
                                    int channels, const float *bias, float *images,
                                    size_t image_stride, int count, int height, int width, int tile_row,
                                    int first_tile, int tiles) {
    const size_t plane = (size_t)height * width;
    const int x0 = 4 * first_tile;
    const __mmask16 columns = column_mask(x0, 4 * tiles, width);
    const int narrow = covers_narrow_rows(width, first_tile, tiles);
    // Rows of 16 outputs that fill whole cache lines go around the caches: the outputs (16 MB for
    // 32 channels of 32x32 at batch 128) are far more than L2 holds, and a plain store first reads
    // each line it writes from memory.
    const int streams = !narrow && columns == 0xffff && ((uintptr_t)images & 63) == 0 && image_stride % 16 == 0 &&
                        width % 16 == 0;
    for (int o = 0; o < channels; o++) {
        const __m512 b = _mm512_set1_ps(bias ? bias[first_channel + o] : 0);

        // Output (row i, column 4t + j) of the item for every image, in rows[i][4t + j].
        __m512 rows[4][16];
        for (int t = 0; t < 4; t++) {
            if (t >= tiles) {
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 4; j++) rows[i][4 * t + j] = _mm512_setzero_ps();
                }
                continue;
            }
            const float *source = m + o * stride + 16 * t;
            __m512 half[4][6];
            for (int k = 0; k < 6; k++) {
                __m512 x[6], y[4];
                for (int r = 0; r < 6; r++) x[r] = _mm512_loadu_ps(source + (6 * r + k) * element_stride);
                output_rows(x, y);
                for (int i = 0; i < 4; i++) half[i][k] = y[i];
            }
            for (int i = 0; i < 4; i++) {
                __m512 y[4];
                output_rows(half[i], y);
                for (int j = 0; j < 4; j++) rows[i][4 * t + j] = _mm512_add_ps(y[j], b);
            }
        }
        for (int i = 0; i < 4; i++) {
            const int y = 4 * tile_row + i;
            if (y >= height) break;
            if (narrow) {
                // Rows y ..< y + n of every image in one transpose, stored as one run per image.
                const int n = rows_per_load(y, height, width, 4 - i);
                __m512 a[16];
                for (int k = 0; k < 16; k++) {
                    a[k] = k < n * width ? rows[i + k / width][k % width] : _mm512_setzero_ps();
                }
                transpose16(a);
                const __mmask16 run = (__mmask16)((1u << (n * width)) - 1);
                float *target = images + (size_t)(first_channel + o) * plane + (size_t)y * width;
                for (int l = 0; l < count; l++) _mm512_mask_storeu_ps(target + l * image_stride, run, a[l]);
                i += n - 1;
                continue;
            }
            transpose16(rows[i]);
            float *target = images + (size_t)(first_channel + o) * plane + (size_t)y * width + x0;
            if (streams) {
                for (int l = 0; l < count; l++) _mm512_stream_ps(target + l * image_stride, rows[i][l]);
            } else {
                for (int l = 0; l < count; l++) _mm512_mask_storeu_ps(target + l * image_stride, columns, rows[i][l]);
            }
        }
    }
    // Streamed stores are weakly ordered: they land before whatever the caller does next.
    if (streams) _mm_sfence();
}

// The six values of A x: x0, (x0 + x2) +- (x1 + x3), (x0 + 4x2) +- (2x1 + 8x3), x3.
static inline AVX512 void expand_rows(const __m512 x[4], __m512 y[6]) {
    __m512 p = _mm512_add_ps(x[0], x[2]), q = _mm512_add_ps(x[1], x[3]);
    __m512 r = _mm512_fmadd_ps(_mm512_set1_ps(4), x[2], x[0]);
    __m512 s = _mm512_fmadd_ps(_mm512_set1_ps(8), x[3], _mm512_add_ps(x[1], x[1]));
    y[0] = x[0];
    y[1] = _mm512_add_ps(p, q);
    y[2] = _mm512_sub_ps(p, q);
    y[3] = _mm512_add_ps(r, s);
    y[4] = _mm512_sub_ps(r, s);
    y[5] = x[3];
}

// Where an item's output-gradient tiles come from.
struct gradient_item {
    const float *images;
    size_t image_stride, plane;
    int count, channels, height, width, tile_row, x0, tiles, narrow;
    __mmask16 columns;
};

static inline struct gradient_item gradient_item(const float *images, size_t image_stride, int count, int channels,
                                                 int height, int width, int tile_row, int first_tile, int tiles) {
    return (struct gradient_item){images,     image_stride, (size_t)height * width, count,
                                  channels,   height,       width,                  tile_row,
                                  4 * first_tile, tiles,    covers_narrow_rows(width, first_tile, tiles),
                                  column_mask(4 * first_tile, 4 * tiles, width)};
}

// m[t][e]: element e of A dy A^T for the item's tile t of image lane l, with channels
// o0 ..< o0 + 16 in the lanes (zero past `channels`, outside the images and for lanes past `count`).
static inline AVX512 void gradient_tiles(const struct gradient_item *item, int l, int o0, __m512 m[4][36]) {
    const size_t plane = item->plane;
    const int height = item->height, width = item->width, channels = item->channels;
    // dy[i][x]: output-gradient row 4 * tile_row + i, column x0 + x.
    __m512 dy[4][16];
    for (int i = 0; i < 4; i++) {
        const int y = 4 * item->tile_row + i;
        if (l >= item->count || y >= height) {
            for (int x = 0; x < 16; x++) dy[i][x] = _mm512_setzero_ps();
            continue;
        }
        if (item->narrow) {
            // Rows y ..< y + n of the group's channels in one transpose: lane o of a[p] is
            // channel o0 + o at row y + p / width, column p % width.
            const int n = rows_per_load(y, height, width, 4 - i);
            const __mmask16 run = (__mmask16)((1u << (n * width)) - 1);
            const float *first = item->images + l * item->image_stride + (size_t)o0 * plane + (size_t)y * width;
            __m512 a[16];
            for (int o = 0; o < 16; o++) {
                a[o] = o0 + o < channels ? _mm512_maskz_loadu_ps(run, first + o * plane) : _mm512_setzero_ps();
            }
            transpose16(a);
            for (int j = 0; j < n; j++) {
                for (int x = 0; x < 16; x++) dy[i + j][x] = x < width ? a[j * width + x] : _mm512_setzero_ps();
            }
            i += n - 1;
            continue;
        }
        const float *row = item->images + l * item->image_stride + (size_t)o0 * plane + (size_t)y * width + item->x0;
        for (int o = 0; o < 16; o++) {
            dy[i][o] = o0 + o < channels ? _mm512_maskz_loadu_ps(item->columns, row + o * plane) : _mm512_setzero_ps();
        }
        transpose16(dy[i]);
    }
    for (int t = 0; t < item->tiles; t++) {
        // Columns of A dy, then rows of (A dy) A^T.
        __m512 expanded[6][4];
        for (int j = 0; j < 4; j++) {
            __m512 x[4] = {dy[0][4 * t + j], dy[1][4 * t + j], dy[2][4 * t + j], dy[3][4 * t + j]}, y[6];
            expand_rows(x, y);
            for (int r = 0; r < 6; r++) expanded[r][j] = y[r];
        }
        for (int r = 0; r < 6; r++) expand_rows(expanded[r], m[t] + 6 * r);
    }
}

AVX512 void cwino4_transform_output_gradient(const float *images, size_t image_stride, int count, int channels,
                                             int height, int width, int tile_row, int first_tile, int tiles,
                                             float *dm, size_t element_stride, size_t stride) {
    const struct gradient_item item =
        gradient_item(images, image_stride, count, channels, height, width, tile_row, first_tile, tiles);
    for (int l = 0; l < 16; l++) {
        for (int o0 = 0; o0 < channels; o0 += 16) {
            __m512 m[4][36];
            gradient_tiles(&item, l, o0, m);
            for (int t = 0; t < tiles; t++) {
                float *target = dm + (size_t)(16 * t + l) * stride + o0;
                for (int e = 0; e < 36; e++) _mm512_storeu_ps(target + e * element_stride, m[t][e]);
            }
        }
    }
}

BF16 void cwino4_transform_output_gradient_pairs(const float *images, size_t image_stride, int count, int channels,
                                                 int height, int width, int tile_row, int first_tile, int tiles,
                                                 uint32_t *pairs, size_t element_words, size_t panel_words,
                                                 int column) {
    const struct gradient_item item =
        gradient_item(images, image_stride, count, channels, height, width, tile_row, first_tile, tiles);
    // Word o of the result takes channel o's bf16 of the even step (low half) and of the odd one.
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7,
                                                22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    // Steps (GEMM depth) 16 t + l and 16 t + l + 1 are one pair: two lanes of a tile.
    for (int l = 0; l < 16; l += 2) {
        for (int o0 = 0; o0 < channels; o0 += 16) {
            __m512 even[4][36], odd[4][36];
            gradient_tiles(&item, l, o0, even);
            gradient_tiles(&item, l + 1, o0, odd);
            for (int t = 0; t < tiles; t++) {
                uint32_t *target = pairs + (size_t)(o0 / 32) * panel_words + (size_t)(column + 16 * t + l) / 2 * 32 +
                                   o0 % 32;
                for (int e = 0; e < 36; e++) {
                    __m512i both = (__m512i)_mm512_cvtne2ps_pbh(odd[t][e], even[t][e]);
                    _mm512_storeu_si512(target + e * element_words, _mm512_permutexvar_epi16(interleave, both));
                }
            }
        }
    }
}

// The three values of G^T x for six: rows (1/4, -1/6, -1/6, 1/24, 1/24, 0), (0, -1/6, 1/6, 1/12, -1/12,
// 0), (0, -1/6, -1/6, 1/6, 1/6, 1). Products and sums stay apart (no fused multiply-adds), in this
// order, so that the results are the same bits as every earlier run's.
static inline AVX512 void contract_rows(const __m512 x[6], __m512 y[3]) {
    const __m512 sum = _mm512_mul_ps(_mm512_add_ps(x[1], x[2]), _mm512_set1_ps(-1.0f / 6));
    const __m512 difference = _mm512_mul_ps(_mm512_sub_ps(x[2], x[1]), _mm512_set1_ps(1.0f / 6));
    const __m512 outer = _mm512_add_ps(x[3], x[4]), outer_difference = _mm512_sub_ps(x[3], x[4]);
    y[0] = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(x[0], _mm512_set1_ps(0.25f)), sum),
                         _mm512_mul_ps(outer, _mm512_set1_ps(1.0f / 24)));
    y[1] = _mm512_add_ps(difference, _mm512_mul_ps(outer_difference, _mm512_set1_ps(1.0f / 12)));
    y[2] = _mm512_add_ps(_mm512_add_ps(sum, _mm512_mul_ps(outer, _mm512_set1_ps(1.0f / 6))), x[5]);
}

AVX512 void cwino4_transform_weight_gradient(const float *sums, size_t element_stride, int rows, int columns,
                                             size_t row_stride, float *weight_gradient, size_t target_stride,
                                             size_t tap_stride) {
    for (int i = 0; i < rows; i++) {
        for (int o0 = 0; o0 < columns; o0 += 16) {
            const float *source = sums + i * row_stride + o0;
            // Each row a of dU contracted over its columns, (dU G)[a], then each column of that.
            __m512 h[3][6];
            for (int a = 0; a < 6; a++) {
                __m512 x[6], y[3];
                for (int k = 0; k < 6; k++) x[k] = _mm512_loadu_ps(source + (6 * a + k) * element_stride);
                contract_rows(x, y);
                for (int s = 0; s < 3; s++) h[s][a] = y[s];
            }
            float *target = weight_gradient + i * target_stride + o0;
            for (int s = 0; s < 3; s++) {
                __m512 taps[3];
                contract_rows(h[s], taps);
                for (int r = 0; r < 3; r++) _mm512_storeu_ps(target + (3 * r + s) * tap_stride, taps[r]);
            }
        }
    }
}

// The six values of G x for three: x0 / 4, -(x0 + x2) / 6 -+ x1 / 6, (x0 / 4 + x2) / 6 +- x1 / 12, x2.
// Products and sums stay apart, in this order: the results are the same bits as every earlier run's.
static inline AVX512 void expand_taps(__m512 x0, __m512 x1, __m512 x2, __m512 y[6]) {
    const __m512 quarter_x0 = _mm512_mul_ps(x0, _mm512_set1_ps(0.25f));
    const __m512 sum = _mm512_mul_ps(_mm512_add_ps(x0, x2), _mm512_set1_ps(-1.0f / 6));
    const __m512 quarter = _mm512_mul_ps(_mm512_add_ps(quarter_x0, x2), _mm512_set1_ps(1.0f / 6));
    const __m512 sixth = _mm512_mul_ps(x1, _mm512_set1_ps(1.0f / 6));
    const __m512 twelfth = _mm512_mul_ps(x1, _mm512_set1_ps(1.0f / 12));
    y[0] = quarter_x0;
    y[1] = _mm512_sub_ps(sum, sixth);
    y[2] = _mm512_add_ps(sum, sixth);
    y[3] = _mm512_add_ps(quarter, twelfth);
    y[4] = _mm512_sub_ps(quarter, twelfth);
    y[5] = x2;
}

// The bf16 pairs' interleave works on 256-bit vectors.
#define BF16_VL __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

BF16_VL void cwino4_transform_weight(const float *weight, int out_channels, int channels, int flipped, int first,
                                     int end, float *u, uint32_t *pairs) {
    const int channel_pairs = (channels + 1) / 2, tiles = (out_channels + 7) / 8;
    const size_t element_floats = (size_t)tiles * channels * 8, tile_words = (size_t)channel_pairs * 8;
    const size_t element_words = tiles * tile_words;
    // Floats between output channels' and input channels' taps, and between taps. Flipped, the
    // weight is the transposed layer's: tap t of (o, i) is tap 8 - t of (i, o) there.
    const int out_stride = flipped ? 9 : channels * 9, in_stride = flipped ? out_channels * 9 : 9;
    const int tap_step = flipped ? -1 : 1;
    // Lane 8 h + k: output channel k of the tile, input channel 2 p2 + h of the pair.
    __m512i index = _mm512_setzero_si512();
    for (int lane = 0; lane < 16; lane++) {
        const int offset = (lane % 8) * out_stride + (lane / 8) * in_stride;
        index = _mm512_mask_set1_epi32(index, (__mmask16)(1u << lane), offset);
    }
    // Word k of a pair's row takes output channel k's bf16 of the even input channel (low half) and
    // of the odd one.
    const __m256i interleave = _mm256_set_epi16(15, 7, 14, 6, 13, 5, 12, 4, 11, 3, 10, 2, 9, 1, 8, 0);
    for (int item = first; item < end; item++) {
        const int tile = item / channel_pairs, p2 = item % channel_pairs;
        unsigned lanes = 0;
        for (int lane = 0; lane < 16; lane++) {
            if (tile * 8 + lane % 8 < out_channels && 2 * p2 + lane / 8 < channels) lanes |= 1u << lane;
        }
        const __mmask16 mask = (__mmask16)lanes;
        const float *taps =
            weight + (size_t)tile * 8 * out_stride + (size_t)2 * p2 * in_stride + (flipped ? 8 : 0);
        __m512 g[9];
        for (int tap = 0; tap < 9; tap++) {
            g[tap] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, index, taps + tap * tap_step, 4);
        }
        // G applied down each column of g gives the columns of G g; G applied along each row of
        // that gives element 6 r + s of G g G^T.
        __m512 a[6], b[6], c[6];
        expand_taps(g[0], g[3], g[6], a);
        expand_taps(g[1], g[4], g[7], b);
        expand_taps(g[2], g[5], g[8], c);
        for (int r = 0; r < 6; r++) {
            __m512 row[6];
            expand_taps(a[r], b[r], c[r], row);
            for (int s = 0; s < 6; s++) {
                const int e = 6 * r + s;
                if (pairs) {
                    const __m256i halves = (__m256i)_mm512_cvtneps_pbh(row[s]);
                    _mm256_storeu_si256((__m256i *)(pairs + e * element_words + tile * tile_words + 8 * p2),
                                        _mm256_permutexvar_epi16(interleave, halves));
                } else {
                    _mm512_mask_storeu_ps(u + e * element_floats + ((size_t)tile * channels + 2 * p2) * 8,
                                          2 * p2 + 1 < channels ? 0xffff : 0xff, row[s]);
                }
            }
        }
    }
}
