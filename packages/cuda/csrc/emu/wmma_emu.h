// CPU emulation of the subset of nvcuda::wmma that sgemm_tf32.cu uses (m16n16k8, TF32 inputs,
// float accumulators). Semantics only: every thread of a warp holds the WHOLE tile in its fragment
// (real fragments spread it over the 32 lanes in an unspecified layout), mma_sync computes the
// whole 16×16×8 product in float, and store_matrix_sync writes from lane 0 only (the kernel's
// __syncwarp() then publishes it, as on a GPU). This checks the kernel's tile indexing, layouts,
// leading dimensions and epilogue on the CPU; it says nothing about tensor-core hardware.
#pragma once
#include <cmath>
#include <cstring>
#include <type_traits>

unsigned alexnet_emu_lane();

namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
namespace precision {
struct tf32 {};
}  // namespace precision
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment;
// A: 16×8 stored [m][k]; B: 8×16 stored [k][n]; accumulator: 16×16 stored [m][n].
template <class L>
struct fragment<matrix_a, 16, 16, 8, precision::tf32, L> {
  static constexpr int num_elements = 16 * 8;
  float x[num_elements];
};
template <class L>
struct fragment<matrix_b, 16, 16, 8, precision::tf32, L> {
  static constexpr int num_elements = 8 * 16;
  float x[num_elements];
};
template <>
struct fragment<accumulator, 16, 16, 8, float, void> {
  static constexpr int num_elements = 16 * 16;
  float x[num_elements];
};
using acc_t = fragment<accumulator, 16, 16, 8, float, void>;

template <class L>
inline void load_matrix_sync(fragment<matrix_a, 16, 16, 8, precision::tf32, L>& f, const float* p, unsigned ldm) {
  for (int m = 0; m < 16; ++m)
    for (int k = 0; k < 8; ++k)
      f.x[m * 8 + k] = std::is_same<L, col_major>::value ? p[m + (size_t)k * ldm] : p[(size_t)m * ldm + k];
}
template <class L>
inline void load_matrix_sync(fragment<matrix_b, 16, 16, 8, precision::tf32, L>& f, const float* p, unsigned ldm) {
  for (int k = 0; k < 8; ++k)
    for (int n = 0; n < 16; ++n)
      f.x[k * 16 + n] = std::is_same<L, row_major>::value ? p[(size_t)k * ldm + n] : p[k + (size_t)n * ldm];
}
inline void fill_fragment(acc_t& f, float v) {
  for (float& e : f.x) e = v;
}
template <class LA, class LB>
inline void mma_sync(acc_t& d, const fragment<matrix_a, 16, 16, 8, precision::tf32, LA>& a,
                     const fragment<matrix_b, 16, 16, 8, precision::tf32, LB>& b, const acc_t& c) {
  acc_t r;
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 16; ++n) {
      float s = c.x[m * 16 + n];
      for (int k = 0; k < 8; ++k) s = std::fma(a.x[m * 8 + k], b.x[k * 16 + n], s);
      r.x[m * 16 + n] = s;
    }
  d = r;
}
inline void store_matrix_sync(float* p, const acc_t& f, unsigned ldm, layout_t layout) {
  if (alexnet_emu_lane() != 0) return;
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 16; ++n)
      (layout == mem_row_major ? p[(size_t)m * ldm + n] : p[m + (size_t)n * ldm]) = f.x[m * 16 + n];
}
// cvt.rna.tf32.f32: round to nearest (ties away from zero) to a 10-bit mantissa.
inline float __float_to_tf32(float v) {
  if (!std::isfinite(v)) return v;
  unsigned u;
  std::memcpy(&u, &v, 4);
  u = (u + 0x1000u) & 0xffffe000u;
  std::memcpy(&v, &u, 4);
  return v;
}
}  // namespace wmma
}  // namespace nvcuda
