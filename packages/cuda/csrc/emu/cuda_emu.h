// CPU emulation of the CUDA execution model, so every kernel in csrc/ also compiles as host C++
// (g++ -DALEXNET_EMU) and runs on the CPU for plumbing and correctness tests without a GPU.
// Blocks run one after another; the threads of a block are real std::threads that meet at a
// std::barrier for __syncthreads(). __shared__ becomes function-static storage, which acts as
// per-block shared memory because only one block runs at a time (registry.cpp launches them).
// Dynamic shared memory (DYNAMIC_SMEM in common.cuh) is a per-launch host allocation.
// Tensor-core (wmma) code runs on emu/wmma_emu.h, a scalar whole-tile stand-in: see sgemm_tf32.cu.
// __syncwarp() is a barrier of the (up to) 32 threads of a warp.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

extern thread_local dim3 threadIdx;
extern dim3 blockIdx, blockDim, gridDim;
void __syncthreads();
void __syncwarp(unsigned mask = 0xffffffffu);
void* alexnet_emu_dynamic_smem();

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)
#define __ldg(p) (*(p))

using std::max;
using std::min;
inline float fmaf(float a, float b, float c) { return std::fma(a, b, c); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline unsigned __umulhi(unsigned a, unsigned b) {
  return (unsigned)(((unsigned long long)a * (unsigned long long)b) >> 32);
}
#define __align__(n) __attribute__((aligned(n)))
