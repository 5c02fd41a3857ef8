// Convolution helpers: im2col + batched GEMM (sgemm.cu) is the promoted convolution (see
// dev/conv.cu for the measured alternatives and why). Column layout for a chunk of images:
//   col[img][c][ky][kx][oy·outW + ox]  =  [img][group][cg·kh·kw][outH·outW]
// so one batched GEMM with z = (image, group) covers a whole chunk of the batch.
#include "common.cuh"

// col ← x for `count` images (x already offset to the chunk's first image). Padding reads as 0.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
im2col_batched(const float* __restrict__ x, float* __restrict__ col, int count, int C, int H, int W,
               int KH, int KW, int S, int P, int outH, int outW) {
  const long long plane = (long long)outH * outW;
  const long long total = (long long)count * C * KH * KW * plane;
  GRID_STRIDE(i, total) {
    const int ox = (int)(i % outW);
    long long r = i / outW;
    const int oy = (int)(r % outH);
    r /= outH;
    const int kx = (int)(r % KW);
    r /= KW;
    const int ky = (int)(r % KH);
    r /= KH;  // r = img·C + c
    const int iy = oy * S - P + ky, ix = ox * S - P + kx;
    col[i] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[(r * H + iy) * W + ix] : 0.f;
  }
}

// dx (+)= col2im(col): the adjoint of im2col as a gather (each input pixel sums the column entries
// that read it), so there are no atomics and the result is deterministic.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
col2im_batched(const float* __restrict__ col, float* __restrict__ dx, int count, int C, int H, int W,
               int KH, int KW, int S, int P, int outH, int outW, int accumulate) {
  const long long plane = (long long)outH * outW;
  const long long total = (long long)count * C * H * W;
  GRID_STRIDE(i, total) {
    const int x = (int)(i % W);
    const long long r = i / W;
    const int y = (int)(r % H);
    const long long ic = r / H;  // img·C + c
    const float* cp = col + ic * KH * KW * plane;
    float sum = 0.f;
    for (int ky = 0; ky < KH; ++ky) {
      const int ty = y + P - ky;
      if (ty < 0 || ty % S) continue;
      const int oy = ty / S;
      if (oy >= outH) continue;
      for (int kx = 0; kx < KW; ++kx) {
        const int tx = x + P - kx;
        if (tx < 0 || tx % S) continue;
        const int ox = tx / S;
        if (ox >= outW) continue;
        sum += cp[(ky * KW + kx) * plane + oy * outW + ox];
      }
    }
    dx[i] = accumulate ? dx[i] + sum : sum;
  }
}

// out[i] (+)= Σ_{c < count} part[c·len + i]: the second pass of the filter-gradient reduction
// (one partial per image from the batched GEMM), summed in a fixed order: deterministic.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
sum_partials(const float* __restrict__ part, float* __restrict__ out, int len, int count, int accumulate) {
  GRID_STRIDE(i, len) {
    float s = 0.f;
    for (int c = 0; c < count; ++c) s += part[(long long)c * len + i];
    out[i] = accumulate ? out[i] + s : s;
  }
}
