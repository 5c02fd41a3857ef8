// Per-channel bias add and its gradient for x: [n, c, spatial].
#include "common.cuh"

// y = x + bias[channel]; x and y may alias.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
bias_add(const float* x, const float* __restrict__ bias, float* y, int N, int C, int spatial) {
  const long long total = (long long)N * C * spatial;
  GRID_STRIDE(i, total) y[i] = x[i] + bias[(i / spatial) % C];
}

// Shared-memory tree sum of one value per thread (blockDim.x = EW_THREADS, a power of two).
__device__ __forceinline__ float block_sum(float v, float* red) {
  const int t = threadIdx.x;
  red[t] = v;
  __syncthreads();
  for (int s = EW_THREADS / 2; s > 0; s >>= 1) {
    if (t < s) red[t] += red[t + s];
    __syncthreads();
  }
  const float r = red[0];
  __syncthreads();
  return r;
}

// Pass 1 of db[c] = Σ_{n,s} dy[n,c,s]: block (c = blockIdx.x, part = blockIdx.y of gridDim.y)
// sums a contiguous share of channel c's n·spatial elements into part[c·gridDim.y + blockIdx.y].
// Splitting keeps each thread's loop short for long channels (conv1: 128·55·55 = 387k elements).
extern "C" __global__ void __launch_bounds__(EW_THREADS)
bias_grad_partial(const float* __restrict__ dy, float* __restrict__ part, int N, int C, int spatial) {
  __shared__ float red[EW_THREADS];
  const int c = blockIdx.x;
  const long long len = (long long)N * spatial;
  const long long per = (len + gridDim.y - 1) / gridDim.y;
  const long long e0 = per * blockIdx.y, e1 = min(len, e0 + per);
  float s = 0.f;
  for (long long e = e0 + threadIdx.x; e < e1; e += EW_THREADS) {
    const long long n = e / spatial, p = e - n * spatial;
    s += dy[(n * C + c) * spatial + p];
  }
  s = block_sum(s, red);
  if (threadIdx.x == 0) part[(long long)c * gridDim.y + blockIdx.y] = s;
}

// Pass 2: db[c] (+)= Σ_k part[c·parts + k], one thread per channel, fixed order: deterministic.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
bias_grad_finish(const float* __restrict__ part, float* __restrict__ db, int C, int parts, int accumulate) {
  GRID_STRIDE(c, C) {
    float s = 0.f;
    for (int k = 0; k < parts; ++k) s += part[c * (long long)parts + k];
    db[c] = accumulate ? db[c] + s : s;
  }
}

// spatial = 1 (fully connected layers): one thread per channel sums the n rows, reads coalesced
// across channels. The plan uses it only while n is small enough for one thread's loop.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
bias_grad_rows(const float* __restrict__ dy, float* __restrict__ db, int N, int C, int accumulate) {
  GRID_STRIDE(c, C) {
    float s = 0.f;
    for (int n = 0; n < N; ++n) s += dy[(long long)n * C + c];
    db[c] = accumulate ? db[c] + s : s;
  }
}
