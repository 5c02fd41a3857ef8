// Convolution versions side by side (llm.c dev/cuda style). Build and run on a GPU:
//   nvcc -O3 -arch=sm_90 dev/conv.cu -o conv && ./conv        (from packages/cuda/csrc)
// Forward versions:
//   1  direct: one thread per output, loops over cg·kh·kw taps from global memory
//   2  im2col (csrc/conv.cu) + ONE batched SIMT GEMM per chunk, z = (image, group) — PROMOTED
//   3  as 2 with the TF32 tensor-core GEMM (opt-in)
// Backward: 1 = direct gathers (dx: one thread per input pixel; dw: one thread per weight looping
// over n·outH·outW — the long serial reduction the promoted path avoids), 2 = promoted
// (GEMM into columns + col2im gather; per-image partial dw by batched GEMM + sum_partials).
// Why im2col + GEMM rather than implicit GEMM: the GEMM is the one tuned kernel for fc and conv
// alike, the column matrix costs one extra pass over memory (small next to AlexNet's K = 363…3456
// deep products), groups become a batch dimension for free, and the backward passes reuse the same
// GEMM with transposes. An implicit-GEMM loader (index math in the B-tile load) is the next
// candidate version here if the measured im2col share is large.
// Correctness: every version against a float64 CPU reference at batch 2 on AlexNet's conv shapes.
#include "../conv.cu"
#include "../sgemm.cu"
#include "../sgemm_tf32.cu"
#include "common.h"

struct Conv {
  const char* name;
  int n, c, h, w, oc, kh, kw, s, p, g;
  __host__ __device__ int oh() const { return (h + 2 * p - kh) / s + 1; }
  __host__ __device__ int ow() const { return (w + 2 * p - kw) / s + 1; }
  __host__ __device__ size_t xl() const { return (size_t)n * c * h * w; }
  __host__ __device__ size_t wl() const { return (size_t)oc * (c / g) * kh * kw; }
  __host__ __device__ size_t yl() const { return (size_t)n * oc * oh() * ow(); }
};

// ---- version 1: direct kernels --------------------------------------------------
__global__ void conv_fwd_v1(Conv a, const float* x, const float* w, const float* b, float* y) {
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const int OH = a.oh(), OW = a.ow();
  if (i >= (long long)a.n * a.oc * OH * OW) return;
  const int ox = i % OW, oy = (i / OW) % OH, o = (i / ((long long)OW * OH)) % a.oc;
  const int n = i / ((long long)OW * OH * a.oc), cg = a.c / a.g, g = o / (a.oc / a.g);
  float s = b[o];
  for (int ic = 0; ic < cg; ++ic)
    for (int ky = 0; ky < a.kh; ++ky) {
      const int iy = oy * a.s - a.p + ky;
      if (iy < 0 || iy >= a.h) continue;
      for (int kx = 0; kx < a.kw; ++kx) {
        const int ix = ox * a.s - a.p + kx;
        if (ix < 0 || ix >= a.w) continue;
        s = fmaf(x[(((size_t)n * a.c + g * cg + ic) * a.h + iy) * a.w + ix], w[(((size_t)o * cg + ic) * a.kh + ky) * a.kw + kx], s);
      }
    }
  y[i] = s;
}

__global__ void conv_bwd_filter_v1(Conv a, const float* x, const float* dy, float* dw) {
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const int cg = a.c / a.g;
  if (i >= (long long)a.wl()) return;
  const int kx = i % a.kw, ky = (i / a.kw) % a.kh, ic = (i / (a.kw * a.kh)) % cg, o = i / (a.kw * a.kh * cg);
  const int g = o / (a.oc / a.g), OH = a.oh(), OW = a.ow();
  float s = 0.f;
  for (int n = 0; n < a.n; ++n)
    for (int oy = 0; oy < OH; ++oy) {
      const int iy = oy * a.s - a.p + ky;
      if (iy < 0 || iy >= a.h) continue;
      for (int ox = 0; ox < OW; ++ox) {
        const int ix = ox * a.s - a.p + kx;
        if (ix < 0 || ix >= a.w) continue;
        s += dy[(((size_t)n * a.oc + o) * OH + oy) * OW + ox] * x[(((size_t)n * a.c + g * cg + ic) * a.h + iy) * a.w + ix];
      }
    }
  dw[i] = s;
}

// ---- version 2/3: the promoted path, launched exactly as src/kernels/conv-plan.ts plans it ----
struct Plan {
  Conv a;
  int P, cg, og, kc;
  size_t colPerImg, imgIn, imgOut;
  explicit Plan(Conv c) : a(c) {
    P = c.oh() * c.ow();
    cg = c.c / c.g;
    og = c.oc / c.g;
    kc = cg * c.kh * c.kw;
    colPerImg = (size_t)c.c * c.kh * c.kw * P;
    imgIn = (size_t)c.c * c.h * c.w;
    imgOut = (size_t)c.oc * P;
  }
  void im2col(const float* x, float* col) const {
    const long long total = (long long)a.n * colPerImg;
    im2col_batched<<<(unsigned)std::min<long long>((total + 255) / 256, 8192), 256>>>(x, col, a.n, a.c, a.h, a.w, a.kh, a.kw, a.s, a.p, a.oh(), a.ow());
  }
  void forward(bool tf32, const float* x, const float* w, const float* b, float* y, float* col) const {
    im2col(x, col);
    const int flags = (kc % 4 == 0 ? GEMM_VEC_A : 0) | (P % 4 == 0 ? GEMM_VEC_B | GEMM_VEC_C : 0);
    (tf32 ? sgemm_tf32_nn : sgemm_nn)<<<dim3((P + 127) / 128, (og + 127) / 128, a.n * a.g), 256>>>(
        og, P, kc, 1.f, w, kc, 0, og * kc, col, P, (int)colPerImg, kc * P, 0.f, y, P, (int)imgOut, og * P, b, a.g, flags);
  }
  void backward_data(const float* dy, const float* w, float* dx, float* col) const {
    const int flags = (kc % 4 == 0 ? GEMM_VEC_A : 0) | (P % 4 == 0 ? GEMM_VEC_B | GEMM_VEC_C : 0);
    sgemm_tn<<<dim3((P + 127) / 128, (kc + 127) / 128, a.n * a.g), 256>>>(
        kc, P, og, 1.f, w, kc, 0, og * kc, dy, P, (int)imgOut, og * P, 0.f, col, P, (int)colPerImg, kc * P, nullptr, a.g, flags);
    const long long total = (long long)a.n * imgIn;
    col2im_batched<<<(unsigned)std::min<long long>((total + 255) / 256, 8192), 256>>>(col, dx, a.n, a.c, a.h, a.w, a.kh, a.kw, a.s, a.p, a.oh(), a.ow(), 0);
  }
  void backward_filter(const float* x, const float* dy, float* dw, float* col, float* part) const {
    im2col(x, col);
    const int wl = a.oc * kc;
    const int flags = (P % 4 == 0 ? GEMM_VEC_A | GEMM_VEC_B : 0) | (kc % 4 == 0 ? GEMM_VEC_C : 0);
    sgemm_nt<<<dim3((kc + 127) / 128, (og + 127) / 128, a.n * a.g), 256>>>(
        og, kc, P, 1.f, dy, P, (int)imgOut, og * P, col, P, (int)colPerImg, kc * P, 0.f, part, kc, wl, og * kc, nullptr, a.g, flags);
    sum_partials<<<std::min((wl + 255) / 256, 8192), 256>>>(part, dw, wl, a.n, 0);
  }
};

// ---- CPU references (float64) -----------------------------------------------------
static std::vector<double> cpu_forward(const Conv& a, const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& b) {
  const int OH = a.oh(), OW = a.ow(), cg = a.c / a.g, og = a.oc / a.g;
  std::vector<double> y(a.yl());
  for (int n = 0; n < a.n; ++n)
    for (int o = 0; o < a.oc; ++o)
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          double s = b[o];
          for (int ic = 0; ic < cg; ++ic)
            for (int ky = 0; ky < a.kh; ++ky)
              for (int kx = 0; kx < a.kw; ++kx) {
                const int iy = oy * a.s - a.p + ky, ix = ox * a.s - a.p + kx;
                if (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w) continue;
                s += (double)x[(((size_t)n * a.c + (o / og) * cg + ic) * a.h + iy) * a.w + ix] * w[(((size_t)o * cg + ic) * a.kh + ky) * a.kw + kx];
              }
          y[(((size_t)n * a.oc + o) * OH + oy) * OW + ox] = s;
        }
  return y;
}

// dx and dw by the adjoint loops (one pass scatters both)
static void cpu_backward(const Conv& a, const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& dy,
                         std::vector<double>& dx, std::vector<double>& dw) {
  const int OH = a.oh(), OW = a.ow(), cg = a.c / a.g, og = a.oc / a.g;
  dx.assign(a.xl(), 0);
  dw.assign(a.wl(), 0);
  for (int n = 0; n < a.n; ++n)
    for (int o = 0; o < a.oc; ++o)
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          const double d = dy[(((size_t)n * a.oc + o) * OH + oy) * OW + ox];
          for (int ic = 0; ic < cg; ++ic)
            for (int ky = 0; ky < a.kh; ++ky)
              for (int kx = 0; kx < a.kw; ++kx) {
                const int iy = oy * a.s - a.p + ky, ix = ox * a.s - a.p + kx;
                if (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w) continue;
                const size_t xi = (((size_t)n * a.c + (o / og) * cg + ic) * a.h + iy) * a.w + ix;
                const size_t wi = (((size_t)o * cg + ic) * a.kh + ky) * a.kw + kx;
                dx[xi] += d * w[wi];
                dw[wi] += d * x[xi];
              }
        }
}

int main() {
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  printf("device: %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);
  const Conv layers[] = {
      {"conv1", 128, 3, 224, 224, 96, 11, 11, 4, 2, 1},  {"conv2", 128, 96, 27, 27, 256, 5, 5, 1, 2, 2},
      {"conv3", 128, 256, 13, 13, 384, 3, 3, 1, 1, 1}, {"conv4", 128, 384, 13, 13, 384, 3, 3, 1, 1, 2},
      {"conv5", 128, 384, 13, 13, 256, 3, 3, 1, 1, 2},
  };
  bool ok = true;
  printf("%-6s %-22s %10s %10s %10s %10s %10s\n", "layer", "check (batch 2)", "fwd v1", "fwd v2", "fwd v3 tf32", "bwdD v2", "bwdF v1/v2");
  for (Conv big : layers) {
    // correctness at batch 2 against the CPU
    Conv a = big;
    a.n = 2;
    auto hx = random_vec(a.xl(), 11), hw = random_vec(a.wl(), 12), hb = random_vec(a.oc, 13), hdy = random_vec(a.yl(), 14);
    for (auto& v : hw) v *= 0.1f;
    auto ry = cpu_forward(a, hx, hw, hb);
    std::vector<double> rdx, rdw;
    cpu_backward(a, hx, hw, hdy, rdx, rdw);
    Plan pl(a);
    float *x = to_device(hx), *w = to_device(hw), *b = to_device(hb), *dy = to_device(hdy);
    float *y = device_nan(a.yl()), *dx = device_nan(a.xl()), *dw = device_nan(a.wl());
    float *col = device_nan(a.n * pl.colPerImg), *part = device_nan((size_t)a.n * a.wl());
    double e[6];
    conv_fwd_v1<<<(unsigned)((a.yl() + 255) / 256), 256>>>(a, x, w, b, y);
    e[0] = rel_error(to_host(y, a.yl()), ry);
    pl.forward(false, x, w, b, y, col);
    e[1] = rel_error(to_host(y, a.yl()), ry);
    pl.forward(true, x, w, b, y, col);
    e[2] = rel_error(to_host(y, a.yl()), ry);
    pl.backward_data(dy, w, dx, col);
    e[3] = rel_error(to_host(dx, a.xl()), rdx);
    conv_bwd_filter_v1<<<(unsigned)((a.wl() + 255) / 256), 256>>>(a, x, dy, dw);
    e[4] = rel_error(to_host(dw, a.wl()), rdw);
    pl.backward_filter(x, dy, dw, col, part);
    e[5] = rel_error(to_host(dw, a.wl()), rdw);
    CK(cudaGetLastError());
    const bool pass = e[0] < 1e-5 && e[1] < 1e-5 && e[2] < 5e-3 && e[3] < 1e-5 && e[4] < 1e-5 && e[5] < 1e-5;
    ok &= pass;
    printf("%-6s errors %.0e %.0e %.0e(tf32) %.0e %.0e %.0e %s\n", a.name, e[0], e[1], e[2], e[3], e[4], e[5], pass ? "ok" : "FAIL");
    for (float* p : {x, w, b, dy, y, dx, dw, col, part}) CK(cudaFree(p));

    // speed at batch 128 (GFLOP/s of the convolution's 2·MACs)
    Plan pb(big);
    const double flops = 2.0 * big.yl() * pb.kc;
    x = to_device(random_vec(big.xl(), 1));
    w = to_device(random_vec(big.wl(), 2));
    b = to_device(random_vec(big.oc, 3));
    dy = to_device(random_vec(big.yl(), 4));
    y = device_nan(big.yl());
    dx = device_nan(big.xl());
    dw = device_nan(big.wl());
    col = device_nan(big.n * pb.colPerImg);
    part = device_nan((size_t)big.n * big.wl());
    const float t1 = time_ms([&] { conv_fwd_v1<<<(unsigned)((big.yl() + 255) / 256), 256>>>(big, x, w, b, y); }, 3);
    const float t2 = time_ms([&] { pb.forward(false, x, w, b, y, col); });
    const float t3 = time_ms([&] { pb.forward(true, x, w, b, y, col); });
    const float t4 = time_ms([&] { pb.backward_data(dy, w, dx, col); });
    const float t5 = time_ms([&] { conv_bwd_filter_v1<<<(unsigned)((big.wl() + 255) / 256), 256>>>(big, x, dy, dw); }, 2);
    const float t6 = time_ms([&] { pb.backward_filter(x, dy, dw, col, part); });
    printf("%-6s %-22s %10.0f %10.0f %10.0f %10.0f %5.0f/%-5.0f GFLOP/s\n", big.name, "batch 128", flops / t1 / 1e6,
           flops / t2 / 1e6, flops / t3 / 1e6, flops / t4 / 1e6, flops / t5 / 1e6, flops / t6 / 1e6);
    printf("%-6s %-22s %10.3f %10.3f %10.3f %10.3f %5.2f/%-5.2f ms\n", big.name, "", t1, t2, t3, t4, t5, t6);
    for (float* p : {x, w, b, dy, y, dx, dw, col, part}) CK(cudaFree(p));
  }
  printf("%s\n", ok ? "all versions correct" : "SOME VERSION FAILED");
  return ok ? 0 : 1;
}
