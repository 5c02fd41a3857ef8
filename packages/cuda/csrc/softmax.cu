// Row softmax and softmax cross-entropy: one block per row (blockDim.x threads, a power of two),
// max and sum reduced through dynamic shared memory (blockDim.x floats), max subtracted first.
#include "common.cuh"

__device__ __forceinline__ float block_reduce(float v, float* red, bool isMax) {
  const int t = threadIdx.x;
  red[t] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) red[t] = isMax ? fmaxf(red[t], red[t + s]) : red[t] + red[t + s];
    __syncthreads();
  }
  const float r = red[0];
  __syncthreads();
  return r;
}

// Returns log Σ exp(z − max) and the row max; leaves nothing else behind.
__device__ __forceinline__ void row_stats(const float* z, int classes, float* red, float& mx, float& sum) {
  float m = -INFINITY;
  for (int j = threadIdx.x; j < classes; j += blockDim.x) m = fmaxf(m, z[j]);
  mx = block_reduce(m, red, true);
  float s = 0.f;
  for (int j = threadIdx.x; j < classes; j += blockDim.x) s += expf(z[j] - mx);
  sum = block_reduce(s, red, false);
}

extern "C" __global__ void softmax_forward(const float* __restrict__ x, float* __restrict__ y, int classes) {
  DYNAMIC_SMEM(float, red);
  const float* z = x + (long long)blockIdx.x * classes;
  float* out = y + (long long)blockIdx.x * classes;
  float mx, sum;
  row_stats(z, classes, red, mx, sum);
  const float inv = 1.f / sum;
  for (int j = threadIdx.x; j < classes; j += blockDim.x) out[j] = expf(z[j] - mx) * inv;
}

// loss_r = log Σ exp(z) − z[label] ; dlogits = (softmax − onehot)·gradScale. A label that is not a
// class index (the reference throws) gives loss NaN, so the error is visible on the host.
extern "C" __global__ void softmax_cross_entropy(const float* __restrict__ logits, const float* __restrict__ labels,
                                                 float* __restrict__ loss, float* __restrict__ dlogits,
                                                 int classes, float gradScale) {
  DYNAMIC_SMEM(float, red);
  const int r = blockIdx.x;
  const float* z = logits + (long long)r * classes;
  float* d = dlogits + (long long)r * classes;
  const float lf = labels[r];
  const int label = (lf >= 0.f && lf < (float)classes && lf == floorf(lf)) ? (int)lf : -1;
  float mx, sum;
  row_stats(z, classes, red, mx, sum);
  const float inv = 1.f / sum;
  for (int j = threadIdx.x; j < classes; j += blockDim.x)
    d[j] = (expf(z[j] - mx) * inv - (j == label ? 1.f : 0.f)) * gradScale;
  if (threadIdx.x == 0) loss[r] = label >= 0 ? mx + logf(sum) - z[label] : NAN;
}
