// The CPU-emulation kernel registry: every csrc kernel compiled as host C++ (unity build of the
// .cu files under ALEXNET_EMU) and launched by name the way cuLaunchKernel does it: params[i]
// points at the value of argument i. The stub libcuda.so.1 links this so the TypeScript backend
// can run the real kernels on the CPU for plumbing tests; the kernel tests load it directly.
// This is emulation, not a GPU: blocks run one after another, threads as std::threads.
#include "cuda_emu.h"

#include <barrier>
#include <memory>
#include <cstdlib>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "../bias.cu"
#include "../channels.cu"
#include "../conv.cu"
#include "../elementwise.cu"
#include "../lrn.cu"
#include "../pool.cu"
#include "../sgemm.cu"
#include "../sgemm_tf32.cu"  // wmma emulated by emu/wmma_emu.h (no tensor cores)
#include "../softmax.cu"
#include "../splitk.cu"

thread_local dim3 threadIdx;
dim3 blockIdx, blockDim, gridDim;
static std::barrier<>* g_bar = nullptr;
static std::vector<std::unique_ptr<std::barrier<>>> g_warp_bars;
static thread_local unsigned t_linear = 0;
static std::vector<unsigned char> g_dyn_smem;
void __syncthreads() { g_bar->arrive_and_wait(); }
void __syncwarp(unsigned) { g_warp_bars[t_linear / 32]->arrive_and_wait(); }
unsigned alexnet_emu_lane() { return t_linear % 32; }
void* alexnet_emu_dynamic_smem() { return g_dyn_smem.data(); }

namespace {

using Launcher = void (*)(void** params);

// Calls f with argument i read from *params[i], typed by f's own signature.
template <typename... Args, std::size_t... I>
void call_unpacked(void (*f)(Args...), void** params, std::index_sequence<I...>) {
  f(*static_cast<std::remove_cv_t<std::remove_reference_t<Args>>*>(params[I])...);
}

template <typename... Args>
constexpr std::size_t arity(void (*)(Args...)) {
  return sizeof...(Args);
}

struct Entry {
  const char* name;
  Launcher run;
};

#define KERNEL(fn) \
  Entry { #fn, [](void** p) { call_unpacked(fn, p, std::make_index_sequence<arity(fn)>{}); } }

const Entry kKernels[] = {
    KERNEL(sgemm_nn),        KERNEL(sgemm_nt),          KERNEL(sgemm_tn),
    KERNEL(sgemm_tt),        KERNEL(im2col_batched),    KERNEL(col2im_batched),
    KERNEL(sum_partials),    KERNEL(maxpool_forward),   KERNEL(maxpool_backward),
    KERNEL(lrn_forward),     KERNEL(lrn_backward),      KERNEL(relu_forward),
    KERNEL(relu_backward),   KERNEL(tanh_forward),      KERNEL(tanh_backward),
    KERNEL(dropout_forward), KERNEL(dropout_backward),  KERNEL(sgd_update),
    KERNEL(axpy),            KERNEL(bias_add),          KERNEL(bias_grad_partial),
    KERNEL(bias_grad_finish), KERNEL(bias_grad_rows),   KERNEL(softmax_forward),
    KERNEL(softmax_cross_entropy), KERNEL(copy_channels),
    KERNEL(splitk_reduce),   KERNEL(sgemm_tf32_nn),     KERNEL(sgemm_tf32_nt),
    KERNEL(sgemm_tf32_tn),   KERNEL(sgemm_tf32_tt),
};

// Runs every block of the grid in order. The threads of a block are std::threads created once per
// launch and reused for every block: they meet at `between` around each block, where thread 0
// sets blockIdx and fresh barriers. Threads that return early drop out of the block's (and their
// warp's) barriers, as exited threads do on a GPU.
void run_grid(Launcher run, void** params, dim3 grid, dim3 block) {
  gridDim = grid;
  blockDim = block;
  const unsigned nthr = block.x * block.y * block.z;
  const unsigned long long nblocks = (unsigned long long)grid.x * grid.y * grid.z;
  std::barrier<> between(static_cast<std::ptrdiff_t>(nthr));
  std::unique_ptr<std::barrier<>> bar;
  auto body = [&](unsigned tx, unsigned ty, unsigned tz) {
    threadIdx = dim3(tx, ty, tz);
    t_linear = (tz * block.y + ty) * block.x + tx;
    for (unsigned long long b = 0; b < nblocks; ++b) {
      if (t_linear == 0) {  // nobody uses the previous block's barriers any more (see below)
        blockIdx = dim3(b % grid.x, (b / grid.x) % grid.y, b / ((unsigned long long)grid.x * grid.y));
        bar = std::make_unique<std::barrier<>>(static_cast<std::ptrdiff_t>(nthr));
        g_bar = bar.get();
        g_warp_bars.clear();
        for (unsigned w = 0; w * 32 < nthr; ++w)
          g_warp_bars.push_back(std::make_unique<std::barrier<>>(static_cast<std::ptrdiff_t>(std::min(32u, nthr - w * 32))));
      }
      between.arrive_and_wait();  // block b is set up
      run(params);
      g_bar->arrive_and_drop();
      g_warp_bars[t_linear / 32]->arrive_and_drop();
      between.arrive_and_wait();  // every thread is done with block b
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(nthr);
  for (unsigned tz = 0; tz < block.z; ++tz)
    for (unsigned ty = 0; ty < block.y; ++ty)
      for (unsigned tx = 0; tx < block.x; ++tx) threads.emplace_back(body, tx, ty, tz);
  for (auto& t : threads) t.join();
}

}  // namespace

extern "C" int alexnet_emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                                  unsigned by, unsigned bz, unsigned sharedBytes, void** params) {
  for (const Entry& e : kKernels) {
    if (std::string(e.name) != name) continue;
    g_dyn_smem.assign(sharedBytes, 0);
    run_grid(e.run, params, dim3(gx, gy, gz), dim3(bx, by, bz));
    return 0;
  }
  return 1;
}

extern "C" const char* alexnet_emu_kernel_names(void) {
  static const std::string names = [] {
    std::string s;
    for (const Entry& e : kKernels) s += std::string(e.name) + "\n";
    return s;
  }();
  return names.c_str();
}
