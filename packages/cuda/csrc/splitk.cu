// Second pass of a split-K GEMM (src/kernels/gemm-plan.ts): when a GEMM has too few 128×128 output
// tiles to fill the GPU (AlexNet's fc layers at batch 128: 8–72 tiles), the K range is cut into
// slices, each slice's product goes to its own partial in scratch (one batched GEMM launch), and
// this kernel adds the partials in slice order and applies alpha/beta: deterministic, no atomics.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(EW_THREADS)
splitk_reduce(const float* __restrict__ part, float* __restrict__ C, int M, int N, int ldc, int slices, float alpha,
              float beta) {
  const long long mn = (long long)M * N;
  GRID_STRIDE(i, mn) {
    float s = 0.f;
    for (int k = 0; k < slices; ++k) s += part[k * mn + i];
    const long long r = i / N, c = i - r * N;
    float* p = C + r * ldc + c;
    *p = beta != 0.f ? fmaf(alpha, s, beta * *p) : alpha * s;
  }
}
