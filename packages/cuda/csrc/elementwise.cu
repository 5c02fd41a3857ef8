// Elementwise kernels, grid-stride over `n`. Pointers that the contract lets alias (relu/tanh in
// place, dx over dy in the backward kernels) are deliberately not __restrict__.
#include "common.cuh"
#include "philox.cuh"

// max(0, x) that keeps NaN (as Math.max in the reference), so divergence stays visible.
extern "C" __global__ void __launch_bounds__(EW_THREADS) relu_forward(const float* x, float* y, int n) {
  GRID_STRIDE(i, n) {
    const float v = x[i];
    y[i] = (v > 0.f || v != v) ? v : 0.f;
  }
}

extern "C" __global__ void __launch_bounds__(EW_THREADS)
relu_backward(const float* y, const float* dy, float* dx, int n, int accumulate) {
  GRID_STRIDE(i, n) {
    const float g = y[i] > 0.f ? dy[i] : 0.f;
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

extern "C" __global__ void __launch_bounds__(EW_THREADS) tanh_forward(const float* x, float* y, int n) {
  GRID_STRIDE(i, n) y[i] = tanhf(x[i]);
}

extern "C" __global__ void __launch_bounds__(EW_THREADS)
tanh_backward(const float* y, const float* dy, float* dx, int n, int accumulate) {
  GRID_STRIDE(i, n) {
    const float v = y[i];
    const float g = dy[i] * (1.f - v * v);
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

// mask_i = keep when u_i ≥ p else 0, u_i = (philox(seed, offset + i) >> 8)·2⁻²⁴. The plan passes
// threshold = ⌈p·2²⁴⌉ so the comparison is exact integer arithmetic (u ≥ p ⇔ v>>8 ≥ threshold),
// independent of how p rounds to float32; keep = fround(1/(1−p)).
extern "C" __global__ void __launch_bounds__(EW_THREADS)
dropout_forward(const float* __restrict__ x, float* __restrict__ y, float* __restrict__ mask, int n,
                unsigned long long seed, unsigned long long offset, unsigned threshold, float keep) {
  GRID_STRIDE(i, n) {
    const unsigned long long j = offset + (unsigned long long)i;
    const Philox4 r = philox4x32_10(j >> 2, seed);
    const unsigned v = r.v[j & 3];
    const float m = (v >> 8) >= threshold ? keep : 0.f;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

extern "C" __global__ void __launch_bounds__(EW_THREADS)
dropout_backward(const float* dy, const float* mask, float* dx, int n, int accumulate) {
  GRID_STRIDE(i, n) {
    const float g = dy[i] * mask[i];
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

// The paper's rule: v ← momentum·v − weightDecay·lr·w − lr·grad ; w ← w + v.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
sgd_update(float* __restrict__ w, const float* __restrict__ grad, float* __restrict__ v, int n, float lr,
           float momentum, float weightDecay) {
  const float decay = weightDecay * lr;
  GRID_STRIDE(i, n) {
    const float wi = w[i];
    const float vi = momentum * v[i] - decay * wi - lr * grad[i];
    v[i] = vi;
    w[i] = wi + vi;
  }
}

extern "C" __global__ void __launch_bounds__(EW_THREADS)
axpy(const float* __restrict__ x, float* __restrict__ y, int n, float alpha) {
  GRID_STRIDE(i, n) y[i] = fmaf(alpha, x[i], y[i]);
}
