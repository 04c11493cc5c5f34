#ifndef CBF16_CONV3_H
#define CBF16_CONV3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// 3x3 stride-1 convolutions with padding 1 in bf16 on AMX tiles (TDPBF16PS: a 16 x 16 fp32 tile
// += a 16-row bf16 tile times a tile of bf16 pairs, accumulated in fp32), with no unfolded matrix.
//
// An image's planes are stored on a padded grid: rows of `cbf16_conv3_row(w)` elements (w + 2
// or w + 3, even), pixel (y, x) at (y + 1) * row + x + 1, zeros around. Output position
// q = y * row + x (x < row; the columns x >= w are computed and thrown away) reads its tap
// (dy, dx) at q + dy * row + dx, so 16 consecutive outputs read 16 consecutive inputs per tap:
// a tile row.
//
// Every function but cbf16_conv3_supported requires cbf16_conv3_supported() to be true.

/// Whether this CPU runs AMX-BF16 and the OS lets this process use the tile registers (on Linux
/// the permission is requested here, once for the process).
bool cbf16_conv3_supported(void);

/// Elements per row of the padded grid of maps `w` wide.
size_t cbf16_conv3_row(size_t w);

/// Elements per padded plane of an h x w map: the grid, the outputs rounded up to blocks of 32,
/// and room for the last block to read its taps.
size_t cbf16_conv3_plane(size_t h, size_t w);

/// Words of one image packed by `cbf16_conv3_pack_pairs`.
size_t cbf16_conv3_pairs_words(size_t channels, size_t h, size_t w);

/// src (C, H, W) fp32, one image -> dst (P, plane) words on the padded grid, P channel pairs
/// (rounded up to a whole number of tile depths): word (p, i) holds channel 2p's element i in its
/// low half and channel 2p+1's in its high half (zero past C): a row of the forward product's B
/// tile is 16 outputs of one channel pair.
void cbf16_conv3_pack_pairs(const float *src, size_t channels, size_t h, size_t w, uint32_t *dst);

/// Words of a weight packed by `cbf16_conv3_pack_weight`.
size_t cbf16_conv3_weight_words(size_t out_channels, size_t channels);

/// weight (OC, C, 3, 3) fp32 -> A tiles of the forward product, per block of 16 output channels,
/// tap and tile depth: 16 rows (output channels) of channel-pair words, rounded to nearest even
/// (zeros past OC and C).
void cbf16_conv3_pack_weight(const float *weight, size_t out_channels, size_t channels, uint32_t *dst);

/// Floats of the forward pass's products on the grid (`cbf16_conv3_forward`).
size_t cbf16_conv3_grid_floats(size_t out_channels, size_t h, size_t w);

/// out (OC, H, W) = conv(image) + bias (may be NULL) for one image packed by
/// `cbf16_conv3_pack_pairs`, for the output channels of blocks [first_block, end_block) of 16
/// (cut at OC). The tiles are stored whole into `grid` (`cbf16_conv3_grid_floats`), then its rows
/// are copied out without the thrown-away columns.
void cbf16_conv3_forward(const uint32_t *pairs, size_t channels, size_t h, size_t w, const uint32_t *weight,
                         size_t out_channels, size_t first_block, size_t end_block, const float *bias, float *grid,
                         float *out);

/// Bytes of one image of `channels` channels packed by `cbf16_conv3_pack_gradient_image`.
size_t cbf16_conv3_gradient_image_bytes(size_t channels, size_t out_channels, size_t h, size_t w);

/// One image of a weight gradient's operands -> dst: the output gradient (OC, H, W) fp32 as bf16
/// planes on the padded grid (output channels rounded up to 16, zero planes past OC), then the
/// input (C, H, W) as words of two neighbouring grid positions per channel (channels rounded up
/// to 16), once from even positions and once from odd ones: the A and B tiles of dLoss/dweight's
/// product over positions. `scratch` holds C bf16 planes.
void cbf16_conv3_pack_gradient_image(const float *input, const float *gradient, size_t channels,
                                     size_t out_channels, size_t h, size_t w, uint16_t *scratch, void *dst);

/// sums (9, OC rounded up to 16, C rounded up to 16) += sum over `images` images packed by
/// `cbf16_conv3_pack_gradient_image` of the output gradient times each tap's inputs: element
/// (t, o, c) is dLoss/dweight (o, c, t).
void cbf16_conv3_weight_gradient(const void *packed, size_t images, size_t channels, size_t out_channels,
                                 size_t h, size_t w, float *sums);

#endif
