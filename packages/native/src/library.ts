/**
 * Finds and loads the compiled C library through koffi, and declares its functions. The library is
 * built by scripts/build-native.mjs at the package's build step; when it could not be built, the
 * reason is in dist/native/UNAVAILABLE.txt and `loadLibrary` returns it instead of throwing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi, { type LibraryHandle } from 'koffi';

/** The directory holding dist/native, from the ESM or the CJS bundle. */
function packageDist(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  // src/ (tests, vitest) → ../dist ; dist/ (bundles) → .
  return existsSync(join(here, 'native')) ? here : join(here, '..', 'dist');
}

export const LIBRARY_PATH = join(
  packageDist(),
  'native',
  process.platform === 'darwin' ? 'libalexnet_native.dylib' : 'libalexnet_native.so',
);

const F32 = 'float *';
const CF32 = 'const float *';

/** The C API (csrc/alexnet_native.h), one koffi function per symbol. */
function declare(lib: LibraryHandle) {
  koffi.opaque('ax_pool');
  const conv = 'int n, int c, int h, int wd, int outC, int kh, int kw, int stride, int pad, int groups';
  const pool2d = 'int n, int c, int h, int w, int size, int stride, int pad';
  const lrn = 'int n, int c, int h, int w, int size, double alpha, double beta, double k, int groups';
  const P = 'ax_pool *pool';
  return {
    abiVersion: lib.func('int ax_abi_version(void)'),
    simdPath: lib.func('const char *ax_simd_path(void)'),
    forceSimdPath: lib.func('int ax_force_simd_path(const char *name)'),
    poolCreate: lib.func('ax_pool *ax_pool_create(int nthreads, int first_cpu)'),
    poolDestroy: lib.func('void ax_pool_destroy(ax_pool *pool)'),
    poolThreads: lib.func('int ax_pool_threads(ax_pool *pool)'),
    poolSetConvSplit: lib.func('int ax_pool_set_conv_split(ax_pool *pool, int mode)'),
    concurrentLoopsPeak: lib.func('int ax_concurrent_loops_peak(int reset)'),
    sgemm: lib.func(
      `void ax_sgemm(${P}, int transA, int transB, int M, int N, int K, double alpha, ${CF32}A, int lda, ${CF32}B, int ldb, double beta, ${F32}C, int ldc)`,
    ),
    convForward: lib.func(`void ax_conv2d_forward(${P}, ${CF32}x, ${CF32}w, ${CF32}bias, ${F32}y, ${conv})`),
    convBackwardData: lib.func(
      `void ax_conv2d_backward_data(${P}, ${CF32}dy, ${CF32}w, ${F32}dx, ${conv}, int accumulate)`,
    ),
    convBackwardFilter: lib.func(
      `void ax_conv2d_backward_filter(${P}, ${CF32}x, ${CF32}dy, ${F32}dw, ${F32}dbias, ${conv}, int accumulate)`,
    ),
    maxPoolForward: lib.func(`void ax_maxpool_forward(${P}, ${CF32}x, ${F32}y, ${pool2d})`),
    maxPoolBackward: lib.func(
      `void ax_maxpool_backward(${P}, ${CF32}x, ${CF32}dy, ${F32}dx, ${pool2d}, int accumulate)`,
    ),
    lrnForward: lib.func(`void ax_lrn_forward(${P}, ${CF32}x, ${F32}y, ${F32}scale, ${lrn})`),
    lrnBackward: lib.func(
      `void ax_lrn_backward(${P}, ${CF32}x, ${CF32}y, ${CF32}scale, ${CF32}dy, ${F32}dx, ${lrn}, int accumulate)`,
    ),
    relu: lib.func(`void ax_relu(${P}, ${CF32}x, ${F32}y, int64_t length)`),
    reluBackward: lib.func(
      `void ax_relu_backward(${P}, ${CF32}y, ${CF32}dy, ${F32}dx, int64_t length, int accumulate)`,
    ),
    tanh: lib.func(`void ax_tanh(${P}, ${CF32}x, ${F32}y, int64_t length)`),
    tanhBackward: lib.func(
      `void ax_tanh_backward(${P}, ${CF32}y, ${CF32}dy, ${F32}dx, int64_t length, int accumulate)`,
    ),
    dropoutForward: lib.func(
      `void ax_dropout_forward(${P}, ${CF32}x, ${F32}y, ${F32}mask, int64_t length, double p, uint64_t seed, uint64_t offset)`,
    ),
    dropoutBackward: lib.func(
      `void ax_dropout_backward(${P}, ${CF32}dy, ${CF32}mask, ${F32}dx, int64_t length, int accumulate)`,
    ),
    biasAdd: lib.func(`void ax_bias_add(${P}, ${CF32}x, ${CF32}bias, ${F32}y, int n, int c, int spatial)`),
    biasGrad: lib.func(
      `void ax_bias_grad(${P}, ${CF32}dy, ${F32}db, int n, int c, int spatial, int accumulate)`,
    ),
    softmax: lib.func(`void ax_softmax(${P}, ${CF32}x, ${F32}y, int n, int classes)`),
    softmaxXent: lib.func(
      `int ax_softmax_xent(${P}, ${CF32}logits, ${CF32}labels, ${F32}loss, ${F32}dlogits, int n, int classes, double grad_scale)`,
    ),
    sgdUpdate: lib.func(
      `void ax_sgd_update(${P}, ${F32}w, ${CF32}grad, ${F32}v, int64_t length, double lr, double momentum, double weight_decay)`,
    ),
    channelsToPart: lib.func(
      `void ax_channels_to_part(${P}, ${CF32}whole, ${F32}part, int n, int total, int c0, int partC, int spatial)`,
    ),
    channelsFromPart: lib.func(
      `void ax_channels_from_part(${P}, ${CF32}part, ${F32}whole, int n, int total, int c0, int partC, int spatial)`,
    ),
    axpy: lib.func(`void ax_axpy(${P}, ${CF32}x, ${F32}y, int64_t length, double alpha)`),
    philoxU32: lib.func('uint32_t ax_philox_u32(uint64_t seed, uint64_t index)'),
  };
}

export type NativeLibrary = ReturnType<typeof declare>;

let loaded: NativeLibrary | string | undefined;

/** The library, or the reason it is unavailable (never throws). Loaded once per process. */
export function loadLibrary(): NativeLibrary | string {
  if (loaded === undefined) loaded = tryLoad();
  return loaded;
}

function tryLoad(): NativeLibrary | string {
  const reasonFile = join(dirname(LIBRARY_PATH), 'UNAVAILABLE.txt');
  if (existsSync(reasonFile)) return readFileSync(reasonFile, 'utf8').trim();
  if (!existsSync(LIBRARY_PATH)) {
    return `${LIBRARY_PATH} is missing: build the package (pnpm --filter @alexnet/native build)`;
  }
  try {
    const lib = declare(koffi.load(LIBRARY_PATH));
    const abi = lib.abiVersion() as number;
    return abi === 1 ? lib : `${LIBRARY_PATH} has ABI ${abi}, expected 1: rebuild it`;
  } catch (err) {
    return `${LIBRARY_PATH} failed to load: ${(err as Error).message}`;
  }
}

/** Why the native library cannot be used here, or null when it loads. */
export function nativeUnavailableReason(): string | null {
  const lib = loadLibrary();
  return typeof lib === 'string' ? lib : null;
}
