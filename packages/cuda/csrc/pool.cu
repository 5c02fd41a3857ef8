// Max pooling. Ties go to the first maximum in row-major window order and padding never wins,
// exactly as the reference (packages/tensor/src/reference/pool.ts).
#include "common.cuh"

// Flat index (within one n·c plane) of the arg-max of window (oy, ox); -1 if the window is empty.
__device__ __forceinline__ int window_argmax(const float* __restrict__ xp, int H, int W, int size, int S,
                                             int P, int oy, int ox) {
  int best = -1;
  float bv = 0.f;
  for (int ky = 0; ky < size; ++ky) {
    const int iy = oy * S - P + ky;
    if (iy < 0 || iy >= H) continue;
    for (int kx = 0; kx < size; ++kx) {
      const int ix = ox * S - P + kx;
      if (ix < 0 || ix >= W) continue;
      const float v = xp[iy * W + ix];
      if (best < 0 || v > bv) {
        best = iy * W + ix;
        bv = v;
      }
    }
  }
  return best;
}

// One thread per output element.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
maxpool_forward(const float* __restrict__ x, float* __restrict__ y, int NC, int H, int W, int size,
                int S, int P, int outH, int outW) {
  const long long total = (long long)NC * outH * outW;
  GRID_STRIDE(i, total) {
    const int ox = (int)(i % outW);
    const int oy = (int)((i / outW) % outH);
    const long long nc = i / ((long long)outW * outH);
    const float* xp = x + nc * H * W;
    const int b = window_argmax(xp, H, W, size, S, P, oy, ox);
    y[i] = b >= 0 ? xp[b] : 0.f;
  }
}

// One thread per input element: gathers dy from every window that contains it and whose arg-max
// (recomputed from x) is this element, in row-major window order. No atomics: deterministic.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
maxpool_backward(const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dx,
                 int NC, int H, int W, int size, int S, int P, int outH, int outW, int accumulate) {
  const long long total = (long long)NC * H * W;
  GRID_STRIDE(i, total) {
    const int ix = (int)(i % W);
    const int iy = (int)((i / W) % H);
    const long long nc = i / ((long long)W * H);
    const float* xp = x + nc * H * W;
    const float* dyp = dy + nc * outH * outW;
    // windows oy with oy·S − P ≤ iy ≤ oy·S − P + size − 1
    const int oy0 = max(0, (iy + P - size + S) / S), oy1 = min(outH - 1, (iy + P) / S);
    const int ox0 = max(0, (ix + P - size + S) / S), ox1 = min(outW - 1, (ix + P) / S);
    const int self = iy * W + ix;
    float g = 0.f;
    for (int oy = oy0; oy <= oy1; ++oy)
      for (int ox = ox0; ox <= ox1; ++ox)
        if (window_argmax(xp, H, W, size, S, P, oy, ox) == self) g += dyp[oy * outW + ox];
    dx[i] = accumulate ? dx[i] + g : g;
  }
}
