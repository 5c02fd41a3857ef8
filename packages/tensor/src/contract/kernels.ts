/**
 * The backend contract, version 1: every kernel's name, its buffers and its attributes, in one file
 * (the tfjs `kernel_names.ts` idea). A backend is a `KernelTableV1`: a missing kernel, or one with the
 * wrong buffers or attributes, is a compile error.
 *
 * Conventions that hold for every kernel:
 * - All tensors are float32 (float64 in the reference backend's gradient-check mode), contiguous,
 *   row-major; images are NCHW. Buffers are `BufferHandle`s of the device the kernel runs on.
 * - A kernel *enqueues* work and returns at once; results are visible to `read`/`sync`, which are
 *   async. The reference backend happens to finish before returning; callers must not rely on it.
 * - Output buffers are fully written (or accumulated into when `accumulate` is true). Buffers may be
 *   longer than the tensor they hold; only the leading elements are used.
 * - Backward kernels take `accumulate`: false writes the gradient, true adds it to what is there
 *   (a tensor read by two consumers, e.g. a tower output feeding conv3 on both towers).
 * - Outputs must not share a buffer with inputs, except where a kernel says so: relu, tanh and
 *   biasAdd may run in place (y = x), and the elementwise backward kernels (reluBackward,
 *   tanhBackward, dropoutBackward) may write dx over dy when accumulate is false.
 */
import type { BufferHandle } from './buffer.js';

/** C = alpha·op(A)·op(B) + beta·C, row-major, op(X) = Xᵀ when trans is set. */
export interface GemmAttrs {
  transA: boolean;
  transB: boolean;
  /** rows of op(A) and C */
  m: number;
  /** columns of op(B) and C */
  n: number;
  /** columns of op(A) = rows of op(B) */
  k: number;
  alpha: number;
  /** 0 means C is written without reading it (NaN in C does not propagate). */
  beta: number;
  /** Leading dimensions (row strides); default to the packed widths: transA ? m : k, transB ? k : n, n. */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** Element offsets of A, B, C inside their buffers (default 0). */
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
}

/**
 * 2-D convolution (cross-correlation, as every framework). x: [n, c, h, w];
 * w: [outC, c/groups, kh, kw]; bias: [outC]; y: [n, outC, outH, outW] with
 * outH = floor((h + 2·pad − kh)/stride) + 1 (likewise outW). Group g reads input channels
 * [g·c/groups, (g+1)·c/groups) and writes output channels [g·outC/groups, (g+1)·outC/groups).
 */
export interface ConvAttrs {
  n: number;
  c: number;
  h: number;
  w: number;
  outC: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  groups: number;
}

/**
 * Max pooling over size×size windows with the given stride; z > s is the paper's overlapping
 * pooling. Padded positions never win. Ties go to the first maximum in row-major window order, and
 * the backward pass routes each window's gradient to exactly that element.
 */
export interface PoolAttrs {
  n: number;
  c: number;
  h: number;
  w: number;
  size: number;
  stride: number;
  pad: number;
}

/**
 * The paper's local response normalisation (§3.3), across channels:
 *   scale_i = k + alpha · Σ_{j = max(0, i − size/2)}^{min(C−1, i + size/2)} x_j²,   y_i = x_i · scale_i^(−beta)
 * with alpha NOT divided by size (the paper and tfjs; Caffe, PyTorch and ONNX divide it).
 * The window stays inside each of `groups` equal channel groups (the two towers of AlexNet).
 * `size` is odd (the paper's n = 5).
 */
export interface LrnAttrs {
  n: number;
  c: number;
  h: number;
  w: number;
  size: number;
  alpha: number;
  beta: number;
  k: number;
  groups: number;
}

export interface ElementwiseAttrs {
  length: number;
}

export interface AccumulateAttr {
  accumulate: boolean;
}

/**
 * Inverted dropout: mask_i = (u_i ≥ p) / (1 − p), y = x · mask, so no rescaling at test time (the
 * paper multiplies by 0.5 at test time instead; the two are equivalent in expectation).
 * u_i is element (offset + i) of the Philox4x32-10 uniform stream of `seed` (see rng/philox.ts),
 * so every backend draws the same mask for the same (seed, offset).
 */
export interface DropoutAttrs {
  length: number;
  p: number;
  seed: number;
  offset: number;
}

/** x: [n, c, spatial], bias/db: [c]. Fully connected layers use spatial = 1. */
export interface BiasAttrs {
  n: number;
  c: number;
  spatial: number;
}

export interface SoftmaxAttrs {
  n: number;
  classes: number;
}

/**
 * loss_i = −log softmax(logits_i)[label_i] (per example); dlogits = (softmax − onehot) · gradScale
 * (gradScale = 1/n gives the gradient of the mean loss). Labels are class indices stored as floats.
 */
export interface SoftmaxCrossEntropyAttrs extends SoftmaxAttrs {
  gradScale: number;
}

/**
 * The paper's SGD rule (§5): v ← momentum·v − weightDecay·lr·w − lr·grad ;  w ← w + v.
 */
export interface SgdAttrs {
  length: number;
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** Channel concatenation / split of NC(spatial) tensors: part i has channels[i] channels. */
export interface ChannelsAttrs {
  n: number;
  channels: readonly number[];
  spatial: number;
}

/** y ← y + alpha · x (gradient sums across devices). */
export interface AxpyAttrs {
  length: number;
  alpha: number;
}

type B = BufferHandle;

/** Per kernel: the buffers it reads/writes and its attributes. The single source of truth. */
export interface KernelSignaturesV1 {
  gemm: { bufs: { a: B; b: B; c: B }; attrs: GemmAttrs };
  conv2dForward: { bufs: { x: B; w: B; bias: B | null; y: B }; attrs: ConvAttrs };
  conv2dBackwardData: { bufs: { dy: B; w: B; dx: B }; attrs: ConvAttrs & AccumulateAttr };
  /** dw (and dbias when given) from x and dy. */
  conv2dBackwardFilter: {
    bufs: { x: B; dy: B; dw: B; dbias: B | null };
    attrs: ConvAttrs & AccumulateAttr;
  };
  maxPoolForward: { bufs: { x: B; y: B }; attrs: PoolAttrs };
  /** Recomputes each window's arg-max from x (no index buffer), so it is a pure gather. */
  maxPoolBackward: { bufs: { x: B; dy: B; dx: B }; attrs: PoolAttrs & AccumulateAttr };
  /** Writes y and the scale buffer (k + alpha·Σx²) that the backward pass reuses. */
  lrnForward: { bufs: { x: B; y: B; scale: B }; attrs: LrnAttrs };
  lrnBackward: { bufs: { x: B; y: B; scale: B; dy: B; dx: B }; attrs: LrnAttrs & AccumulateAttr };
  relu: { bufs: { x: B; y: B }; attrs: ElementwiseAttrs };
  /** Uses the output y (so relu may run in place): dx = dy · [y > 0]. */
  reluBackward: { bufs: { y: B; dy: B; dx: B }; attrs: ElementwiseAttrs & AccumulateAttr };
  tanh: { bufs: { x: B; y: B }; attrs: ElementwiseAttrs };
  /** dx = dy · (1 − y²). */
  tanhBackward: { bufs: { y: B; dy: B; dx: B }; attrs: ElementwiseAttrs & AccumulateAttr };
  dropoutForward: { bufs: { x: B; y: B; mask: B }; attrs: DropoutAttrs };
  dropoutBackward: { bufs: { dy: B; mask: B; dx: B }; attrs: ElementwiseAttrs & AccumulateAttr };
  /** y = x + bias per channel; x and y may be the same buffer. */
  biasAdd: { bufs: { x: B; bias: B; y: B }; attrs: BiasAttrs };
  biasGrad: { bufs: { dy: B; db: B }; attrs: BiasAttrs & AccumulateAttr };
  softmax: { bufs: { x: B; y: B }; attrs: SoftmaxAttrs };
  softmaxCrossEntropy: {
    bufs: { logits: B; labels: B; loss: B; dlogits: B };
    attrs: SoftmaxCrossEntropyAttrs;
  };
  sgdUpdate: { bufs: { w: B; grad: B; v: B }; attrs: SgdAttrs };
  concatChannels: { bufs: { inputs: readonly B[]; y: B }; attrs: ChannelsAttrs };
  splitChannels: { bufs: { x: B; outputs: readonly B[] }; attrs: ChannelsAttrs };
  axpy: { bufs: { x: B; y: B }; attrs: AxpyAttrs };
}

export type KernelName = keyof KernelSignaturesV1;
export type KernelBufs<K extends KernelName> = KernelSignaturesV1[K]['bufs'];
export type KernelAttrs<K extends KernelName> = KernelSignaturesV1[K]['attrs'];
export type KernelFn<K extends KernelName> = (bufs: KernelBufs<K>, attrs: KernelAttrs<K>) => void;

/** A backend's kernels: exactly one function per contract kernel. */
export type KernelTableV1 = { readonly [K in KernelName]: KernelFn<K> };

/** Every kernel name, in contract order. The `satisfies` check keeps it complete. */
export const KERNEL_NAMES_V1 = [
  'gemm',
  'conv2dForward',
  'conv2dBackwardData',
  'conv2dBackwardFilter',
  'maxPoolForward',
  'maxPoolBackward',
  'lrnForward',
  'lrnBackward',
  'relu',
  'reluBackward',
  'tanh',
  'tanhBackward',
  'dropoutForward',
  'dropoutBackward',
  'biasAdd',
  'biasGrad',
  'softmax',
  'softmaxCrossEntropy',
  'sgdUpdate',
  'concatChannels',
  'splitChannels',
  'axpy',
] as const satisfies readonly KernelName[];

// Compile-time proof that KERNEL_NAMES_V1 lists every kernel (an omission makes this `false`).
type MissingNames = Exclude<KernelName, (typeof KERNEL_NAMES_V1)[number]>;
const allNamesListed: [MissingNames] extends [never] ? true : false = true;
void allNamesListed;
