/*
 * @alexnet/native — the C kernels behind the native CPU backend, loaded from TypeScript through koffi.
 * Every function mirrors one kernel of the backend contract (packages/tensor/src/contract/kernels.ts):
 * same layouts (float32, contiguous, row-major, NCHW), same semantics, same accumulate flag.
 * Arguments are validated in TypeScript before the call; these functions trust them.
 */
#ifndef ALEXNET_NATIVE_H
#define ALEXNET_NATIVE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AX_EXPORT __attribute__((visibility("default")))

/* ---- runtime ---------------------------------------------------------------------------------- */

/** A pool of worker threads that kernels split their work over (the calling thread takes part). */
typedef struct ax_pool ax_pool;

AX_EXPORT int ax_abi_version(void);
/** The SIMD path chosen at run time from the CPU's features: "avx512", "avx2" or "generic". */
AX_EXPORT const char *ax_simd_path(void);
/** Forces a SIMD path (for tests and benchmarks); returns 0 if the CPU cannot run it. */
AX_EXPORT int ax_force_simd_path(const char *name);
/** nthreads >= 1 in total, the caller included; first_cpu >= 0 pins thread i to CPU first_cpu + i. */
AX_EXPORT ax_pool *ax_pool_create(int nthreads, int first_cpu);
AX_EXPORT void ax_pool_destroy(ax_pool *pool);
AX_EXPORT int ax_pool_threads(const ax_pool *pool);
/**
 * How the pool's convolutions use its threads (conv.c): AX_CONV_SPLIT_AUTO (default), or forced —
 * over each GEMM and im2col step, or over the batch's images. For benchmarks; returns 0 for a bad mode.
 */
enum { AX_CONV_SPLIT_AUTO = 0, AX_CONV_SPLIT_GEMM = 1, AX_CONV_SPLIT_IMAGES = 2 };
AX_EXPORT int ax_pool_set_conv_split(ax_pool *pool, int mode);
AX_EXPORT int ax_pool_conv_split(const ax_pool *pool);
/**
 * The most parallel loops (kernel bodies) that ran at the same time in this process, over all pools,
 * since the last reset (reset != 0 starts a new count): 2 when two devices computed concurrently.
 */
AX_EXPORT int ax_concurrent_loops_peak(int reset);

/* ---- GEMM and convolution (gemm.c, conv.c) ---------------------------------------------------- */

/** C = alpha·op(A)·op(B) + beta·C, row-major with leading dimensions; beta == 0 never reads C. */
AX_EXPORT void ax_sgemm(ax_pool *pool, int transA, int transB, int M, int N, int K, double alpha,
                        const float *A, int lda, const float *B, int ldb, double beta, float *C, int ldc);

AX_EXPORT void ax_conv2d_forward(ax_pool *pool, const float *x, const float *w, const float *bias, float *y,
                                 int n, int c, int h, int wd, int outC, int kh, int kw, int stride, int pad,
                                 int groups);
AX_EXPORT void ax_conv2d_backward_data(ax_pool *pool, const float *dy, const float *w, float *dx, int n, int c,
                                       int h, int wd, int outC, int kh, int kw, int stride, int pad, int groups,
                                       int accumulate);
AX_EXPORT void ax_conv2d_backward_filter(ax_pool *pool, const float *x, const float *dy, float *dw, float *dbias,
                                         int n, int c, int h, int wd, int outC, int kh, int kw, int stride,
                                         int pad, int groups, int accumulate);

/* ---- everything else (ops.c) ------------------------------------------------------------------ */

AX_EXPORT void ax_maxpool_forward(ax_pool *pool, const float *x, float *y, int n, int c, int h, int w, int size,
                                  int stride, int pad);
AX_EXPORT void ax_maxpool_backward(ax_pool *pool, const float *x, const float *dy, float *dx, int n, int c, int h,
                                   int w, int size, int stride, int pad, int accumulate);
AX_EXPORT void ax_lrn_forward(ax_pool *pool, const float *x, float *y, float *scale, int n, int c, int h, int w,
                              int size, double alpha, double beta, double k, int groups);
AX_EXPORT void ax_lrn_backward(ax_pool *pool, const float *x, const float *y, const float *scale, const float *dy,
                               float *dx, int n, int c, int h, int w, int size, double alpha, double beta,
                               double k, int groups, int accumulate);
AX_EXPORT void ax_relu(ax_pool *pool, const float *x, float *y, int64_t length);
AX_EXPORT void ax_relu_backward(ax_pool *pool, const float *y, const float *dy, float *dx, int64_t length,
                                int accumulate);
AX_EXPORT void ax_tanh(ax_pool *pool, const float *x, float *y, int64_t length);
AX_EXPORT void ax_tanh_backward(ax_pool *pool, const float *y, const float *dy, float *dx, int64_t length,
                                int accumulate);
/** mask_i = (u_i >= p) / (1 - p), u_i = Philox stream value (offset + i) of seed, as 24-bit uniform. */
AX_EXPORT void ax_dropout_forward(ax_pool *pool, const float *x, float *y, float *mask, int64_t length, double p,
                                  uint64_t seed, uint64_t offset);
AX_EXPORT void ax_dropout_backward(ax_pool *pool, const float *dy, const float *mask, float *dx, int64_t length,
                                   int accumulate);
AX_EXPORT void ax_bias_add(ax_pool *pool, const float *x, const float *bias, float *y, int n, int c, int spatial);
AX_EXPORT void ax_bias_grad(ax_pool *pool, const float *dy, float *db, int n, int c, int spatial, int accumulate);
AX_EXPORT void ax_softmax(ax_pool *pool, const float *x, float *y, int n, int classes);
/** Returns -1 on success, or the index of the first example whose label is not a class index. */
AX_EXPORT int ax_softmax_xent(ax_pool *pool, const float *logits, const float *labels, float *loss, float *dlogits,
                              int n, int classes, double grad_scale);
AX_EXPORT void ax_sgd_update(ax_pool *pool, float *w, const float *grad, float *v, int64_t length, double lr,
                             double momentum, double weight_decay);
/** Copies channels [c0, c0 + part) of the whole (n × total × spatial) to/from the part (n × part × spatial). */
AX_EXPORT void ax_channels_to_part(ax_pool *pool, const float *whole, float *part, int n, int total, int c0,
                                   int partC, int spatial);
AX_EXPORT void ax_channels_from_part(ax_pool *pool, const float *part, float *whole, int n, int total, int c0,
                                     int partC, int spatial);
AX_EXPORT void ax_axpy(ax_pool *pool, const float *x, float *y, int64_t length, double alpha);
/** Stream value `index` of Philox4x32-10 for `seed` (for tests against the TypeScript generator). */
AX_EXPORT uint32_t ax_philox_u32(uint64_t seed, uint64_t index);

#ifdef __cplusplus
}
#endif
#endif
