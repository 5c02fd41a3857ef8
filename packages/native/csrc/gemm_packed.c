/*
 * GEMM with A packed once ahead and B packed by the caller, on one thread: how a convolution split
 * over images runs its forward pass (conv.c). The filters (A) are the same for every image, so they are
 * packed once per call and shared by all threads, instead of once per image and thread; the patches
 * (B) are gathered from the image straight into NR-wide panels (implicit im2col), instead of being
 * written as a K × P matrix and then copied into panels; C is written in place (NCHW rows, ldc = P),
 * instead of into a side matrix and then reordered. Loops as in gemm.c: KC slices of K, NC blocks of
 * columns, MC blocks of rows (the A block in L2), a B panel in L1 across the block's MR panels.
 */
#include <string.h>

#include "gemm.h"

/* NC: a packed KC×NC block of B (512 KiB at most) stays in L2 from its packing to its last use;
   measured on conv1 (P = 3,025) at batch 32: 1.1–1.2× over NC = 3,072, the other layers level. */
enum { MC_TILES = 12, NC = 512 };

int64_t ax_packed_a_floats(int M, int K) {
  const int MR = ax_simd()->mr;
  return (int64_t)(M + MR - 1) / MR * MR * K;
}

typedef struct {
  const float *A;
  int64_t M, K, lda, Mpad;
  float *dst;
  int MR, transA;
} pack_all_t;

/* MR panels [begin, end) of every KC slice. */
static void pack_all_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const pack_all_t *t = ctx;
  for (int64_t pc = 0; pc < t->K; pc += AX_GEMM_KC) {
    const int64_t kc = t->K - pc < AX_GEMM_KC ? t->K - pc : AX_GEMM_KC;
    for (int64_t r = begin; r < end; r++) {
      const int64_t height = t->M - r * t->MR < t->MR ? t->M - r * t->MR : t->MR;
      ax_pack_a_panel(ax_simd(), t->transA, t->A, t->lda, r * t->MR, height, pc, kc,
                      t->dst + pc * t->Mpad + r * t->MR * kc);
    }
  }
}

void ax_pack_a_all(ax_exec e, int transA, const float *A, int lda, int M, int K, float *dst) {
  const int MR = ax_simd()->mr;
  pack_all_t t = {A, M, K, lda, (M + MR - 1) / MR * MR, dst, MR, transA};
  ax_exec_for(e, t.Mpad / MR, 4, pack_all_task, &t);
}

void ax_sgemm_packed(ax_exec e, const float *Ap, int M, int N, int K, ax_pack_b_fn pack_b, void *pack_ctx,
                     float *C, int ldc) {
  const ax_simd_t *s = ax_simd();
  const int MR = s->mr, NR = s->nr;
  const int64_t Mpad = (int64_t)(M + MR - 1) / MR * MR, MC = (int64_t)MR * MC_TILES;
  float *tile = ax_exec_scratch(e, AX_SLOT_TILE, sizeof(float) * MR * NR);
  for (int64_t pc = 0; pc < K; pc += AX_GEMM_KC) {
    const int64_t kc = K - pc < AX_GEMM_KC ? K - pc : AX_GEMM_KC;
    const float *Aslice = Ap + pc * Mpad;
    for (int64_t jc = 0; jc < N; jc += NC) {
      const int64_t nc = N - jc < NC ? N - jc : NC, panels = (nc + NR - 1) / NR;
      /* Panels one cache line apart beyond their size: at NR·KC floats (16 KiB for AVX2) they would all
         start in the same L1 set, and a packer writing row p of every panel would evict itself. */
      const int64_t stride = NR * kc + 16;
      float *Bp = ax_exec_scratch(e, AX_SLOT_PACK_B, sizeof(float) * panels * stride);
      pack_b(pack_ctx, pc, kc, jc, nc, Bp, stride);
      for (int64_t ic = 0; ic < M; ic += MC) {
        const int64_t mc = M - ic < MC ? M - ic : MC;
        for (int64_t jr = 0; jr < panels; jr++) {
          const int64_t width = nc - jr * NR < NR ? nc - jr * NR : NR;
          const float *B = Bp + jr * stride;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t height = mc - ir < MR ? mc - ir : MR;
            const float *A = Aslice + (ic + ir) * kc;
            float *c = C + (ic + ir) * ldc + jc + jr * NR;
            if (height == MR && width == NR) {
              s->kernel(kc, A, B, c, ldc, 1.0f);
            } else { /* edge tile: compute into a scratch tile, add the valid part */
              memset(tile, 0, sizeof(float) * MR * NR);
              s->kernel(kc, A, B, tile, NR, 1.0f);
              for (int64_t i = 0; i < height; i++)
                for (int64_t j = 0; j < width; j++) c[i * ldc + j] += tile[i * NR + j];
            }
          }
        }
      }
    }
  }
}
