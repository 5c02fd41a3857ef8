// The paper's local response normalisation across channels (alpha NOT divided by size), with the
// window clipped to each of `groups` channel groups, as packages/tensor/src/reference/lrn.ts.
// One thread per element; the window walks channels (stride H·W), so a warp reads consecutive
// pixels of each channel: coalesced.
#include "common.cuh"

__device__ __forceinline__ void lrn_window(long long i, int C, int HW, int half, int cg, int& c, int& lo, int& hi) {
  c = (int)((i / HW) % C);
  const int g0 = (c / cg) * cg;
  lo = max(g0, c - half);
  hi = min(g0 + cg - 1, c + half);
}

extern "C" __global__ void __launch_bounds__(EW_THREADS)
lrn_forward(const float* __restrict__ x, float* __restrict__ y, float* __restrict__ scale, int N, int C,
            int HW, int size, float alpha, float beta, float k, int groups) {
  const long long total = (long long)N * C * HW;
  const int half = (size - 1) / 2, cg = C / groups;
  GRID_STRIDE(i, total) {
    int c, lo, hi;
    lrn_window(i, C, HW, half, cg, c, lo, hi);
    const float* base = x + i - (long long)c * HW;  // channel 0 of this pixel
    float sq = 0.f;
    for (int j = lo; j <= hi; ++j) {
      const float v = base[(long long)j * HW];
      sq = fmaf(v, v, sq);
    }
    const float s = k + alpha * sq;
    scale[i] = s;
    y[i] = x[i] * powf(s, -beta);
  }
}

// dx_i = dy_i·scale_i^(−beta) − 2·alpha·beta·x_i·Σ_{j∈window(i)} dy_j·y_j/scale_j
extern "C" __global__ void __launch_bounds__(EW_THREADS)
lrn_backward(const float* __restrict__ x, const float* __restrict__ y, const float* __restrict__ scale,
             const float* __restrict__ dy, float* __restrict__ dx, int N, int C, int HW, int size,
             float alpha, float beta, int groups, int accumulate) {
  const long long total = (long long)N * C * HW;
  const int half = (size - 1) / 2, cg = C / groups;
  GRID_STRIDE(i, total) {
    int c, lo, hi;
    lrn_window(i, C, HW, half, cg, c, lo, hi);
    const long long b = i - (long long)c * HW;
    float cross = 0.f;
    for (int j = lo; j <= hi; ++j) {
      const long long q = b + (long long)j * HW;
      cross += dy[q] * y[q] / scale[q];
    }
    const float g = dy[i] * powf(scale[i], -beta) - 2.f * alpha * beta * x[i] * cross;
    dx[i] = accumulate ? dx[i] + g : g;
  }
}
