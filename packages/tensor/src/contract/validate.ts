/**
 * Argument checks shared by every backend: attribute domains and the buffer lengths each kernel
 * needs. A failed check throws with the kernel name and the offending values, before any work runs.
 */
import { ArgumentError, ShapeError, show } from '../errors.js';
import { assertFinite, assertInteger, windowOutputSize } from '../shape.js';
import type { BufferHandle } from './buffer.js';
import type {
  BiasAttrs,
  ChannelsAttrs,
  ConvAttrs,
  GemmAttrs,
  KernelAttrs,
  KernelBufs,
  KernelName,
  LrnAttrs,
  PoolAttrs,
  SoftmaxAttrs,
} from './kernels.js';

type Sizes = Record<string, number>;
interface KernelSpec<K extends KernelName> {
  /** Throws on a bad attribute; returns the minimum length of every (non-null, non-array) buffer. */
  check(attrs: KernelAttrs<K>): Sizes;
}

function ints(k: string, attrs: object, names: readonly string[], min: number): void {
  const rec = attrs as Record<string, number>;
  for (const name of names) assertInteger(rec[name]!, `${k}: ${name}`, min);
}

function bool(k: string, value: unknown, name: string): void {
  if (typeof value !== 'boolean')
    throw new ArgumentError(`${k}: ${name} must be a boolean, got ${show(value)}`);
}

/** Output spatial size of a convolution; throws with the layer's numbers if the window does not fit. */
export function convOutputShape(a: ConvAttrs): { outH: number; outW: number } {
  return {
    outH: windowOutputSize(a.h, a.kh, a.stride, a.pad),
    outW: windowOutputSize(a.w, a.kw, a.stride, a.pad),
  };
}

export function poolOutputShape(a: PoolAttrs): { outH: number; outW: number } {
  return {
    outH: windowOutputSize(a.h, a.size, a.stride, a.pad),
    outW: windowOutputSize(a.w, a.size, a.stride, a.pad),
  };
}

function checkConv(k: string, a: ConvAttrs): { x: number; w: number; y: number; bias: number } {
  ints(k, a, ['n', 'c', 'h', 'w', 'outC', 'kh', 'kw', 'groups', 'stride'], 1);
  ints(k, a, ['pad'], 0);
  if (a.c % a.groups !== 0 || a.outC % a.groups !== 0) {
    throw new ShapeError(`${k}: c=${a.c} and outC=${a.outC} must both be divisible by groups=${a.groups}`);
  }
  const { outH, outW } = convOutputShape(a);
  return {
    x: a.n * a.c * a.h * a.w,
    w: a.outC * (a.c / a.groups) * a.kh * a.kw,
    y: a.n * a.outC * outH * outW,
    bias: a.outC,
  };
}

function checkPool(k: string, a: PoolAttrs): { x: number; y: number } {
  ints(k, a, ['n', 'c', 'h', 'w', 'size', 'stride'], 1);
  ints(k, a, ['pad'], 0);
  if (2 * a.pad > a.size) {
    throw new ArgumentError(`${k}: pad=${a.pad} must be at most half the window size=${a.size}`);
  }
  const { outH, outW } = poolOutputShape(a);
  return { x: a.n * a.c * a.h * a.w, y: a.n * a.c * outH * outW };
}

function checkLrn(k: string, a: LrnAttrs): number {
  ints(k, a, ['n', 'c', 'h', 'w', 'size', 'groups'], 1);
  if (a.size % 2 !== 1) throw new ArgumentError(`${k}: size must be odd, got ${a.size}`);
  if (a.c % a.groups !== 0) throw new ShapeError(`${k}: c=${a.c} must be divisible by groups=${a.groups}`);
  for (const p of ['alpha', 'beta', 'k'] as const) assertFinite(a[p], `${k}: ${p}`);
  if (a.k <= 0 || a.alpha < 0) {
    throw new ArgumentError(`${k}: need k > 0 and alpha >= 0 (got k=${a.k}, alpha=${a.alpha})`);
  }
  return a.n * a.c * a.h * a.w;
}

function checkBias(k: string, a: BiasAttrs): { x: number; bias: number } {
  ints(k, a, ['n', 'c', 'spatial'], 1);
  return { x: a.n * a.c * a.spatial, bias: a.c };
}

function checkSoftmax(k: string, a: SoftmaxAttrs): number {
  ints(k, a, ['n', 'classes'], 1);
  return a.n * a.classes;
}

function checkChannels(k: string, a: ChannelsAttrs): number {
  ints(k, a, ['n', 'spatial'], 1);
  if (!Array.isArray(a.channels) || a.channels.length === 0) {
    throw new ArgumentError(`${k}: channels must be a non-empty array, got ${show(a.channels)}`);
  }
  a.channels.forEach((c, i) => {
    assertInteger(c, `${k}: channels[${i}]`, 1);
  });
  return a.n * a.channels.reduce((s, c) => s + c, 0) * a.spatial;
}

function elementwise(k: string, a: { length: number }): number {
  assertInteger(a.length, `${k}: length`, 0);
  return a.length;
}

function gemmSizes(a: GemmAttrs): Sizes {
  const k = 'gemm';
  ints(k, a, ['m', 'n', 'k'], 1);
  bool(k, a.transA, 'transA');
  bool(k, a.transB, 'transB');
  assertFinite(a.alpha, `${k}: alpha`);
  assertFinite(a.beta, `${k}: beta`);
  const rowsA = a.transA ? a.k : a.m;
  const colsA = a.transA ? a.m : a.k;
  const rowsB = a.transB ? a.n : a.k;
  const colsB = a.transB ? a.k : a.n;
  const lda = a.lda ?? colsA;
  const ldb = a.ldb ?? colsB;
  const ldc = a.ldc ?? a.n;
  const offA = a.offsetA ?? 0;
  const offB = a.offsetB ?? 0;
  const offC = a.offsetC ?? 0;
  for (const [name, v] of [
    ['offsetA', offA],
    ['offsetB', offB],
    ['offsetC', offC],
  ] as const) {
    assertInteger(v, `${k}: ${name}`, 0);
  }
  for (const [name, v, min] of [
    ['lda', lda, colsA],
    ['ldb', ldb, colsB],
    ['ldc', ldc, a.n],
  ] as const) {
    assertInteger(v, `${k}: ${name}`, 1);
    if (v < min) throw new ShapeError(`${k}: ${name}=${v} is smaller than the row width ${min}`);
  }
  return {
    a: offA + (rowsA - 1) * lda + colsA,
    b: offB + (rowsB - 1) * ldb + colsB,
    c: offC + (a.m - 1) * ldc + a.n,
  };
}

const SPECS: { [K in KernelName]: KernelSpec<K> } = {
  gemm: { check: gemmSizes },
  conv2dForward: { check: (a) => checkConv('conv2dForward', a) },
  conv2dBackwardData: {
    check: (a) => {
      bool('conv2dBackwardData', a.accumulate, 'accumulate');
      const s = checkConv('conv2dBackwardData', a);
      return { dy: s.y, w: s.w, dx: s.x };
    },
  },
  conv2dBackwardFilter: {
    check: (a) => {
      bool('conv2dBackwardFilter', a.accumulate, 'accumulate');
      const s = checkConv('conv2dBackwardFilter', a);
      return { x: s.x, dy: s.y, dw: s.w, dbias: s.bias };
    },
  },
  maxPoolForward: { check: (a) => checkPool('maxPoolForward', a) },
  maxPoolBackward: {
    check: (a) => {
      bool('maxPoolBackward', a.accumulate, 'accumulate');
      const s = checkPool('maxPoolBackward', a);
      return { x: s.x, dy: s.y, dx: s.x };
    },
  },
  lrnForward: {
    check: (a) => {
      const n = checkLrn('lrnForward', a);
      return { x: n, y: n, scale: n };
    },
  },
  lrnBackward: {
    check: (a) => {
      bool('lrnBackward', a.accumulate, 'accumulate');
      const n = checkLrn('lrnBackward', a);
      return { x: n, y: n, scale: n, dy: n, dx: n };
    },
  },
  relu: { check: (a) => ({ x: elementwise('relu', a), y: a.length }) },
  reluBackward: {
    check: (a) => {
      bool('reluBackward', a.accumulate, 'accumulate');
      const n = elementwise('reluBackward', a);
      return { y: n, dy: n, dx: n };
    },
  },
  tanh: { check: (a) => ({ x: elementwise('tanh', a), y: a.length }) },
  tanhBackward: {
    check: (a) => {
      bool('tanhBackward', a.accumulate, 'accumulate');
      const n = elementwise('tanhBackward', a);
      return { y: n, dy: n, dx: n };
    },
  },
  dropoutForward: {
    check: (a) => {
      const n = elementwise('dropoutForward', a);
      assertFinite(a.p, 'dropoutForward: p');
      if (a.p < 0 || a.p >= 1) throw new ArgumentError(`dropoutForward: p must be in [0, 1), got ${a.p}`);
      assertInteger(a.seed, 'dropoutForward: seed', 0);
      assertInteger(a.offset, 'dropoutForward: offset', 0);
      return { x: n, y: n, mask: n };
    },
  },
  dropoutBackward: {
    check: (a) => {
      bool('dropoutBackward', a.accumulate, 'accumulate');
      const n = elementwise('dropoutBackward', a);
      return { dy: n, mask: n, dx: n };
    },
  },
  biasAdd: {
    check: (a) => {
      const s = checkBias('biasAdd', a);
      return { x: s.x, bias: s.bias, y: s.x };
    },
  },
  biasGrad: {
    check: (a) => {
      bool('biasGrad', a.accumulate, 'accumulate');
      const s = checkBias('biasGrad', a);
      return { dy: s.x, db: s.bias };
    },
  },
  softmax: {
    check: (a) => {
      const n = checkSoftmax('softmax', a);
      return { x: n, y: n };
    },
  },
  softmaxCrossEntropy: {
    check: (a) => {
      const n = checkSoftmax('softmaxCrossEntropy', a);
      assertFinite(a.gradScale, 'softmaxCrossEntropy: gradScale');
      return { logits: n, labels: a.n, loss: a.n, dlogits: n };
    },
  },
  sgdUpdate: {
    check: (a) => {
      const n = elementwise('sgdUpdate', a);
      for (const p of ['lr', 'momentum', 'weightDecay'] as const) assertFinite(a[p], `sgdUpdate: ${p}`);
      return { w: n, grad: n, v: n };
    },
  },
  concatChannels: { check: (a) => ({ y: checkChannels('concatChannels', a) }) },
  splitChannels: { check: (a) => ({ x: checkChannels('splitChannels', a) }) },
  axpy: {
    check: (a) => {
      const n = elementwise('axpy', a);
      assertFinite(a.alpha, 'axpy: alpha');
      return { x: n, y: n };
    },
  },
};

function checkBuffer(kernel: string, name: string, buf: unknown, need: number, device: string): void {
  const b = buf as BufferHandle | null | undefined;
  if (b === null || b === undefined || typeof b.length !== 'number') {
    throw new ArgumentError(`${kernel}: buffer '${name}' is missing`);
  }
  if (b.device !== device) {
    throw new ArgumentError(
      `${kernel}: buffer '${name}' lives on ${b.device}, but the kernel runs on ${device}`,
    );
  }
  if (b.length < need) {
    throw new ShapeError(`${kernel}: buffer '${name}' holds ${b.length} elements, needs at least ${need}`);
  }
}

/**
 * Validates one kernel call against the contract: attributes in their domains, every buffer
 * present, on `device` and long enough. Throws ArgumentError / ShapeError naming the values.
 */
export function validateKernelCall<K extends KernelName>(
  kernel: K,
  bufs: KernelBufs<K>,
  attrs: KernelAttrs<K>,
  device: string,
): void {
  if (attrs === null || typeof attrs !== 'object') {
    throw new ArgumentError(`${kernel}: attributes must be an object, got ${show(attrs)}`);
  }
  const sizes = (SPECS[kernel] as KernelSpec<K>).check(attrs);
  const rec = bufs as unknown as Record<string, unknown>;
  for (const [name, need] of Object.entries(sizes)) {
    const optional =
      (kernel === 'conv2dForward' && name === 'bias') ||
      (kernel === 'conv2dBackwardFilter' && name === 'dbias');
    if (optional && rec[name] === null) continue;
    checkBuffer(kernel, name, rec[name], need, device);
  }
  if (kernel === 'concatChannels' || kernel === 'splitChannels') {
    const a = attrs as ChannelsAttrs;
    const parts = (kernel === 'concatChannels' ? rec.inputs : rec.outputs) as readonly BufferHandle[];
    const label = kernel === 'concatChannels' ? 'inputs' : 'outputs';
    if (!Array.isArray(parts) || parts.length !== a.channels.length) {
      throw new ShapeError(
        `${kernel}: ${a.channels.length} channel counts ${show(a.channels)} but ${Array.isArray(parts) ? parts.length : 'no'} ${label}`,
      );
    }
    parts.forEach((p, i) => {
      checkBuffer(kernel, `${label}[${i}]`, p, a.n * a.channels[i]! * a.spatial, device);
    });
  }
}
