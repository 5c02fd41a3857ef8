// SGEMM versions side by side (llm.c dev/cuda style). Build and run on a GPU:
//   nvcc -O3 -arch=sm_90 dev/gemm.cu -o gemm && ./gemm        (from packages/cuda/csrc)
//   ./gemm 3                                                  (one version only)
// Versions:
//   1  naive: one thread per output, k loop from global memory
//   2  64×64×16 shared tiles, 4×4 outputs per thread (the cuda-ffi prototype)
//   3  128×128×8, 8×8 register block per thread, double-buffered, float4 — PROMOTED (csrc/sgemm.cu)
//   4  version 3's tiles with TF32 tensor cores (wmma m16n16k8) — csrc/sgemm_tf32.cu, opt-in
//   5  version 3 + split-K when there are few output tiles (fc layers at batch 128): K slices as one
//      batched launch into partials + splitk_reduce — PROMOTED for such shapes (gemm-plan.ts, same
//      thresholds: < 128 tiles, slices of ≥ 256)
// Correctness: every version against a float64 CPU reference on odd shapes (all transposes for 3
// and 4); then GFLOP/s on AlexNet's GEMM shapes (fc layers at batch 128, conv layers per group).
#include "../sgemm.cu"
#include "../sgemm_tf32.cu"
#include "../splitk.cu"
#include "common.h"

// ---- version 1 ----------------------------------------------------------------
__global__ void gemm_v1(int M, int N, int K, float alpha, const float* A, const float* B, float beta, float* C) {
  const int i = blockIdx.y * blockDim.y + threadIdx.y, j = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= M || j >= N) return;
  float s = 0.f;
  for (int p = 0; p < K; ++p) s = fmaf(A[(size_t)i * K + p], B[(size_t)p * N + j], s);
  C[(size_t)i * N + j] = beta == 0.f ? alpha * s : alpha * s + beta * C[(size_t)i * N + j];
}

// ---- version 2 ----------------------------------------------------------------
__global__ void __launch_bounds__(256)
gemm_v2(int M, int N, int K, float alpha, const float* __restrict__ A, const float* __restrict__ B, float beta,
        float* __restrict__ C) {
  __shared__ float As[16][64];
  __shared__ float Bs[16][64];
  const int t = threadIdx.x, tx = t % 16, ty = t / 16;
  const int row0 = blockIdx.y * 64, col0 = blockIdx.x * 64;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < K; k0 += 16) {
    for (int i = 0; i < 4; ++i) {
      const int idx = t + i * 256, r = idx / 16, c = idx % 16, gr = row0 + r, gc = k0 + c;
      As[c][r] = (gr < M && gc < K) ? A[(size_t)gr * K + gc] : 0.f;
    }
    for (int i = 0; i < 4; ++i) {
      const int idx = t + i * 256, r = idx / 64, c = idx % 64, gr = k0 + r, gc = col0 + c;
      Bs[r][c] = (gr < K && gc < N) ? B[(size_t)gr * N + gc] : 0.f;
    }
    __syncthreads();
    for (int k = 0; k < 16; ++k)
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(As[k][ty + 16 * i], Bs[k][tx + 16 * j], acc[i][j]);
    __syncthreads();
  }
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      const int r = row0 + ty + 16 * i, c = col0 + tx + 16 * j;
      if (r < M && c < N) {
        float* p = C + (size_t)r * N + c;
        *p = beta == 0.f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *p;
      }
    }
}

// ---- launchers (packed row-major C = alpha·op(A)·op(B) + beta·C) -----------------
static float* g_scratch = nullptr;
static size_t g_scratch_len = 0;

// Version 5: the split-K plan of src/kernels/gemm-plan.ts (returns false when it would not split).
static bool run_splitk(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, const float* B, float beta,
                       float* C, int flags) {
  const int tiles = ((M + 127) / 128) * ((N + 127) / 128);
  if (tiles * 2 > 256) return false;
  const int slices = std::max(1, std::min({(256 + tiles - 1) / tiles, K / 256, 64}));
  if (slices < 2) return false;
  const int chunk = ((K + slices - 1) / slices + 7) / 8 * 8, full = K / chunk, rem = K - full * chunk;
  const int lda = ta ? M : K, ldb = tb ? K : N, stepA = ta ? lda : 1, stepB = tb ? 1 : ldb;
  const size_t mn = (size_t)M * N, need = mn * (full + (rem > 0));
  if (need > g_scratch_len) {
    if (g_scratch) CK(cudaFree(g_scratch));
    CK(cudaMalloc(&g_scratch, need * sizeof(float)));
    g_scratch_len = need;
  }
  typedef void (*Fn)(GEMM_PARAMS);
  const Fn simt[4] = {sgemm_nn, sgemm_nt, sgemm_tn, sgemm_tt};
  const Fn f = simt[(ta ? 2 : 0) + (tb ? 1 : 0)];
  const int fl = (flags & (GEMM_VEC_A | GEMM_VEC_B)) | (N % 4 == 0 ? GEMM_VEC_C : 0);
  f<<<dim3((N + 127) / 128, (M + 127) / 128, full), 256>>>(M, N, chunk, 1.f, A, lda, chunk * stepA, 0, B, ldb,
                                                          chunk * stepB, 0, 0.f, g_scratch, N, (int)mn, 0, nullptr, 1, fl);
  if (rem > 0)
    f<<<dim3((N + 127) / 128, (M + 127) / 128, 1), 256>>>(M, N, rem, 1.f, A + (size_t)full * chunk * stepA, lda, 0, 0,
                                                         B + (size_t)full * chunk * stepB, ldb, 0, 0, 0.f,
                                                         g_scratch + full * mn, N, 0, 0, nullptr, 1, fl & ~(GEMM_VEC_A | GEMM_VEC_B));
  splitk_reduce<<<(unsigned)std::min<size_t>((mn + 255) / 256, 8192), 256>>>(g_scratch, C, M, N, N, full + (rem > 0), alpha, beta);
  return true;
}

static void run(int version, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, const float* B,
                float beta, float* C) {
  const int lda = ta ? M : K, ldb = tb ? K : N;
  const bool vec = (lda % 4 == 0), vecB = (ldb % 4 == 0), vecC = (N % 4 == 0);
  const int flags = (vec ? GEMM_VEC_A : 0) | (vecB ? GEMM_VEC_B : 0) | (vecC ? GEMM_VEC_C : 0);
  if (version == 1) {
    gemm_v1<<<dim3((N + 15) / 16, (M + 15) / 16), dim3(16, 16)>>>(M, N, K, alpha, A, B, beta, C);
  } else if (version == 2) {
    gemm_v2<<<dim3((N + 63) / 64, (M + 63) / 64), 256>>>(M, N, K, alpha, A, B, beta, C);
  } else if (version == 5 && run_splitk(ta, tb, M, N, K, alpha, A, B, beta, C, flags)) {
    // split
  } else {
    typedef void (*Fn)(GEMM_PARAMS);
    const Fn simt[4] = {sgemm_nn, sgemm_nt, sgemm_tn, sgemm_tt};
    const Fn tf32[4] = {sgemm_tf32_nn, sgemm_tf32_nt, sgemm_tf32_tn, sgemm_tf32_tt};
    const Fn f = (version == 4 ? tf32 : simt)[(ta ? 2 : 0) + (tb ? 1 : 0)];
    f<<<dim3((N + 127) / 128, (M + 127) / 128, 1), 256>>>(M, N, K, alpha, A, lda, 0, 0, B, ldb, 0, 0, beta, C, N, 0,
                                                          0, nullptr, 1, flags);
  }
  CK(cudaGetLastError());
}

static std::vector<double> cpu_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const std::vector<float>& A,
                                    const std::vector<float>& B, float beta, const std::vector<float>& C) {
  std::vector<double> out(size_t(M) * N);
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double s = 0;
      for (int p = 0; p < K; ++p)
        s += (double)A[ta ? (size_t)p * M + i : (size_t)i * K + p] * B[tb ? (size_t)j * K + p : (size_t)p * N + j];
      out[(size_t)i * N + j] = alpha * s + (beta == 0.f ? 0.0 : beta * C[(size_t)i * N + j]);
    }
  return out;
}

int main(int argc, char** argv) {
  const int only = argc > 1 ? atoi(argv[1]) : 0;
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  printf("device: %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);
  bool ok = true;

  // 1. correctness on odd shapes
  const int shapes[][3] = {{7, 5, 13}, {129, 131, 67}, {256, 260, 64}, {300, 97, 515}, {9, 10, 1100}, {128, 512, 2048}};
  for (int version = 1; version <= 5; ++version) {
    if (only && only != version) continue;
    const double tol = version == 4 ? 5e-3 : 1e-5;  // TF32 keeps 10 mantissa bits of each product input
    for (auto& s : shapes)
      for (int t = 0; t < (version <= 2 ? 1 : 4); ++t) {
        const bool ta = t & 2, tb = t & 1;
        const int M = s[0], N = s[1], K = s[2];
        auto hA = random_vec(size_t(M) * K, 1), hB = random_vec(size_t(K) * N, 2), hC = random_vec(size_t(M) * N, 3);
        for (float beta : {0.f, 0.5f}) {
          float *A = to_device(hA), *B = to_device(hB), *C = beta == 0.f ? device_nan(hC.size()) : to_device(hC);
          run(version, ta, tb, M, N, K, 1.5f, A, B, beta, C);
          const double err = rel_error(to_host(C, hC.size()), cpu_gemm(ta, tb, M, N, K, 1.5f, hA, hB, beta, hC));
          const bool pass = err <= tol;
          ok &= pass;
          printf("v%d %c%c %4dx%4dx%4d beta=%.1f  rel err %.2e %s\n", version, ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K,
                 beta, err, pass ? "ok" : "FAIL");
          CK(cudaFree(A));
          CK(cudaFree(B));
          CK(cudaFree(C));
        }
      }
  }

  // 2. speed on AlexNet's GEMMs (NN; conv shapes are one group of one image × batch in the real plan)
  struct Shape {
    const char* name;
    int M, N, K;
  } bench[] = {
      {"fc6 fwd 128x4096x9216", 128, 4096, 9216},  {"fc7 fwd 128x4096x4096", 128, 4096, 4096},
      {"fc8 fwd 128x1000x4096", 128, 1000, 4096},  {"conv2 grp 128x(27*27*128)x1200", 128, 729 * 128, 1200},
      {"conv3 384x(13*13*128)x2304", 384, 169 * 128, 2304}, {"square 4096^3", 4096, 4096, 4096},
  };
  printf("\n%-34s", "GFLOP/s");
  for (int v = 1; v <= 5; ++v)
    if (!only || only == v) printf("      v%d", v);
  printf("\n");
  for (auto& s : bench) {
    auto hA = random_vec(size_t(s.M) * s.K, 4), hB = random_vec(size_t(s.K) * s.N, 5);
    float *A = to_device(hA), *B = to_device(hB), *C = device_nan(size_t(s.M) * s.N);
    printf("%-34s", s.name);
    for (int v = 1; v <= 5; ++v) {
      if (only && only != v) continue;
      const float ms = time_ms([&] { run(v, false, false, s.M, s.N, s.K, 1.f, A, B, 0.f, C); }, v == 1 ? 2 : 10);
      printf(" %7.0f", 2.0 * s.M * s.N * s.K / (ms * 1e6));
    }
    printf("\n");
    CK(cudaFree(A));
    CK(cudaFree(B));
    CK(cudaFree(C));
  }
  printf("%s\n", ok ? "all versions correct" : "SOME VERSION FAILED");
  return ok ? 0 : 1;
}
