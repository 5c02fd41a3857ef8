// Channel concatenation / split of NC(spatial) tensors as block copies: per example, `cp` channels
// starting at channel srcStart of a tensor with srcC channels go to channel dstStart of one with
// dstC channels. concatChannels and splitChannels launch it once per part.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(EW_THREADS)
copy_channels(const float* __restrict__ src, float* __restrict__ dst, int N, int cp, int spatial, int srcC,
              int srcStart, int dstC, int dstStart) {
  const long long block = (long long)cp * spatial;
  const long long total = (long long)N * block;
  GRID_STRIDE(i, total) {
    const long long n = i / block, r = i - n * block;
    dst[(n * dstC + dstStart) * spatial + r] = src[(n * srcC + srcStart) * spatial + r];
  }
}
