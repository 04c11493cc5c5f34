#ifndef CWINOGRAD_H
#define CWINOGRAD_H

#include <stddef.h>
#include <stdint.h>

// The transforms of Winograd's F(4x4, 3x3) with 16 images in the lanes of an AVX-512 vector:
// every 4x4 block of outputs ("tile") comes from the 6x6 input patch around it as
// A^T [(G g G^T) . (B^T d B)] A (Lavin and Gray). With images in the lanes, the transforms are
// plain vector arithmetic on any map size; 16x16 transposes move between the images' planes and
// the lanes. Masked loads and stores keep every access inside the images.
//
// An item is `count` (<= 16) images `image_stride` floats apart, one tile row `tile_row` and the
// `tiles` (<= 4) tiles from `first_tile`. Transformed values live in element-major buffers: value
// (element e = 6 * row + column of the 6x6, channel or output channel r, tile t, image lane l) at
// [e * element_stride + r * stride + 16 * t + l].

/// Copies rows [first_row, first_row + rows) of every channel of `count` images (zero lanes past
/// it, zero rows outside the map) into a band the input transforms read: value (channel c, map row
/// y, column x, image lane l) at [((c * rows + y - first_row) * padded_width + x + 1) * 16 + l]. The
/// columns outside the map (0 and past `width`) are left as they are: the caller keeps them zero.
/// Each image's rows are read as one run, so the copy streams where the transforms would read 16
/// images' short rows far apart.
void cwino4_block_rows(const float *images, size_t image_stride, int count, int channels, int height, int width,
                       int first_row, int rows, float *blocked, int padded_width);

/// V = B^T d B for every channel of the item's patches, read from a band (`cwino4_block_rows`) whose
/// tile row `band_tile_row` is the item's (the band's first row is the row above its first tile row).
void cwino4_transform_input(const float *blocked, int rows, int padded_width, int channels, int band_tile_row,
                            int first_tile, int tiles, float *v, size_t element_stride, size_t stride);

/// `cwino4_transform_input` rounded to bf16 and packed as `cbf16_multiply_packed` reads B: for
/// element e, channel pair p2 and GEMM column col (the item's columns from `column`), the word at
/// [e * element_words + ((col / 32) * ceil(channels / 2) + p2) * 32 + col % 32] holds channel 2 p2
/// in its low half and 2 p2 + 1 (zero past `channels`) in its high half. Needs AVX512-BF16.
void cwino4_transform_input_pairs(const float *blocked, int rows, int padded_width, int channels,
                                  int band_tile_row, int first_tile, int tiles, uint32_t *pairs,
                                  size_t element_words, int column);

/// `cwino4_transform_input` rounded to bf16 as `cbf16_multiply_rows` reads A: value (element e,
/// channel c, column 16 t + l) at [e * element_halves + c * row_halves + 16 t + l]. Needs AVX512-BF16.
void cwino4_transform_input_rows(const float *blocked, int rows, int padded_width, int channels, int band_tile_row,
                                 int first_tile, int tiles, uint16_t *v, size_t element_halves, size_t row_halves);

/// output = A^T M A (+ bias) for output channels [first_channel, first_channel + channels) of the
/// item, whose products M hold rows 0 ..< channels; writes only inside the images.
void cwino4_transform_output(const float *m, size_t element_stride, size_t stride, int first_channel,
                             int channels, const float *bias, float *images,
                             size_t image_stride, int count, int height, int width, int tile_row,
                             int first_tile, int tiles);

/// dM = A dy A^T for the item's output-gradient tiles, as rows of channels: value (element e, tile t,
/// image lane l, channel o) at [e * element_stride + (16 * t + l) * stride + o] for o < channels
/// rounded up to 16 (zero past `channels`, outside the images and for lanes past `count`).
void cwino4_transform_output_gradient(const float *images, size_t image_stride, int count, int channels,
                                      int height, int width, int tile_row, int first_tile, int tiles,
                                      float *dm, size_t element_stride, size_t stride);

/// `cwino4_transform_output_gradient` rounded to bf16 and packed in pairs of steps as
/// `cbf16_multiply_rows` reads B: steps (GEMM depth) are the item's columns from `column` (even),
/// 16 t + l for tile t and image lane l; the word for step pair p and channel o is at
/// [e * element_words + (o / 32) * panel_words + p * 32 + o % 32], the even step in its low half.
/// Writes channels up to `channels` rounded up to 16. Needs AVX512-BF16.
void cwino4_transform_output_gradient_pairs(const float *images, size_t image_stride, int count, int channels,
                                            int height, int width, int tile_row, int first_tile, int tiles,
                                            uint32_t *pairs, size_t element_words, size_t panel_words, int column);

/// dLoss/dweight = G^T dU G, overwritten, for `rows` input channels and `columns` output channels (a
/// multiple of 16, in the lanes): dU^T's element e, row i, column o at [e * element_stride + i *
/// row_stride + o]; tap (3 r + s) of row i, column o written at [(3 r + s) * tap_stride + i *
/// target_stride + o].
void cwino4_transform_weight_gradient(const float *sums, size_t element_stride, int rows, int columns,
                                      size_t row_stride, float *weight_gradient, size_t target_stride,
                                      size_t tap_stride);

/// U = G g G^T for weight (OC, C, 3, 3), the items [first, end) of (8-channel output tile, input
/// channel pair) in tile-major order. With `flipped`, `weight` is (C, OC, 3, 3), the layer's this
/// one is the transpose of, and g its kernels turned by 180 degrees: the input gradient's weight.
/// With `pairs` null, U in fp32 as the micro-kernel reads A: value (element e, output channel
/// 8 t + k, input channel i) at [e * tiles * C * 8 + (t * C + i) * 8 + k], zero past OC. Otherwise
/// U rounded to bf16 in pairs of input channels as `cbf16_multiply_packed` reads A, and `u` not
/// written: the word for element e, tile t, pair p and output channel 8 t + k is at
/// [(e * tiles + t) * ceil(C / 2) * 8 + p * 8 + k], input channel 2 p in its low half and 2 p + 1
/// (zero past C) in its high half; that needs AVX512-BF16.
void cwino4_transform_weight(const float *weight, int out_channels, int channels, int flipped, int first, int end,
                             float *u, uint32_t *pairs);

#endif
