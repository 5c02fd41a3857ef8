// Shared by every kernel file: the emulation switch, launch-size constants and small helpers.
#pragma once
#ifdef ALEXNET_EMU
#include "emu/cuda_emu.h"
// Dynamic shared memory: a per-launch host buffer under emulation.
#define DYNAMIC_SMEM(type, name) type* name = static_cast<type*>(alexnet_emu_dynamic_smem())
#else
#include <cstdint>
#define DYNAMIC_SMEM(type, name) extern __shared__ type name[]
#endif

// Threads per block of the 1-D (elementwise / gather) kernels; plans use the same number.
#define EW_THREADS 256

// Grid-stride loop over [0, n): works for any grid size, so plans may cap the grid.
#define GRID_STRIDE(i, n)                                                              \
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); \
       i += (long long)blockDim.x * gridDim.x)
