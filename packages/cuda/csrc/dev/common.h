// Helpers for the dev/ kernel benches (llm.c dev/cuda style): error checks, random data,
// comparison against a CPU reference, and timing with CUDA events. GPU only (CUDA runtime API).
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CK(x)                                                                              \
  do {                                                                                     \
    cudaError_t e_ = (x);                                                                  \
    if (e_ != cudaSuccess) {                                                               \
      fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
      exit(1);                                                                             \
    }                                                                                      \
  } while (0)

inline std::vector<float> random_vec(size_t n, unsigned seed) {
  std::vector<float> v(n);
  unsigned s = seed * 2654435761u + 1;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = ((s >> 8) * (1.f / 16777216.f)) * 2.f - 1.f;
  }
  return v;
}

inline float* to_device(const std::vector<float>& h) {
  float* d;
  CK(cudaMalloc(&d, h.size() * sizeof(float)));
  CK(cudaMemcpy(d, h.data(), h.size() * sizeof(float), cudaMemcpyHostToDevice));
  return d;
}

inline float* device_nan(size_t n) {
  float* d;
  CK(cudaMalloc(&d, n * sizeof(float)));
  CK(cudaMemset(d, 0xff, n * sizeof(float)));  // all-ones bits = NaN: unwritten outputs show
  return d;
}

inline std::vector<float> to_host(const float* d, size_t n) {
  std::vector<float> h(n);
  CK(cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost));
  return h;
}

// ‖out − ref‖ / ‖ref‖ (the conformance suite's measure); NaN anywhere gives NaN.
inline double rel_error(const std::vector<float>& out, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = (double)out[i] - ref[i];
    num += d * d;
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / (den > 0 ? den : 1));
}

inline double rel_error(const std::vector<float>& out, const std::vector<float>& ref) {
  std::vector<double> r(ref.begin(), ref.end());
  return rel_error(out, r);
}

// Median-free simple timing: warm up once, then average `reps` launches of f (milliseconds).
template <class F>
float time_ms(F f, int reps = 20) {
  f();
  CK(cudaDeviceSynchronize());
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  CK(cudaEventRecord(a));
  for (int i = 0; i < reps; ++i) f();
  CK(cudaEventRecord(b));
  CK(cudaEventSynchronize(b));
  float ms;
  CK(cudaEventElapsedTime(&ms, a, b));
  CK(cudaGetLastError());
  return ms / reps;
}
