/**
 * The conformance cases: for every kernel, odd shapes (non-square, groups, strides, padding, every
 * transpose) and AlexNet's real layer shapes at a small batch. A case says how to fill each buffer
 * and which buffers are outputs; runner.ts runs it on a backend and on the float64 oracle.
 */
import type { ConvAttrs, KernelAttrs, KernelName, LrnAttrs, PoolAttrs } from '../contract/kernels.js';
import { convOutputShape, poolOutputShape } from '../contract/validate.js';
import { lrnForward } from '../reference/lrn.js';

/** How a buffer is filled before the call. 'poison' = NaN (outputs written without reading). */
export type Fill =
  | { kind: 'random'; std?: number }
  | { kind: 'uniform'; lo: number; hi: number }
  | { kind: 'relu-output' }
  | { kind: 'labels'; classes: number }
  | { kind: 'dropout-mask'; p: number }
  | { kind: 'poison' }
  | { kind: 'derived' };

export interface BufferSpec {
  length: number;
  fill: Fill;
}

export interface ConformanceCase<K extends KernelName = KernelName> {
  kernel: K;
  name: string;
  /** 'alexnet' cases use the real layer shapes (slower on slow backends). */
  shapes: 'odd' | 'alexnet';
  bufs: Record<string, BufferSpec | BufferSpec[] | null>;
  /** Buffers that are the same buffer as another ({ y: 'x' } runs the kernel in place). */
  alias?: Record<string, string>;
  attrs: KernelAttrs<K>;
  /** Buffers compared after the call ('outputs[1]' for the second of an array). */
  outputs: string[];
  /** Fills 'derived' buffers from the others on the host (e.g. lrnBackward's y and scale from x). */
  derive?: (host: Record<string, Float32Array>) => void;
  /** Relative-error bound; 0 for kernels whose result must be bit-exact. Default 1e-5 (DEFAULT_TOLERANCE). */
  tolerance?: number;
}

const normal = (length: number, std = 1): BufferSpec => ({ length, fill: { kind: 'random', std } });
const poison = (length: number): BufferSpec => ({ length, fill: { kind: 'poison' } });

/**
 * Every case of one convolution geometry: forward (with and, for odd shapes, without bias) and both
 * backward passes, overwriting and accumulating. Exported so a backend can test its own edge cases
 * (e.g. how it splits a batch over threads) with the suite's runner.
 */
export function convCases(name: string, shapes: 'odd' | 'alexnet', a: ConvAttrs): ConformanceCase[] {
  const { outH, outW } = convOutputShape(a);
  const x = a.n * a.c * a.h * a.w;
  const w = a.outC * (a.c / a.groups) * a.kh * a.kw;
  const y = a.n * a.outC * outH * outW;
  const cases: ConformanceCase[] = [];
  cases.push({
    kernel: 'conv2dForward',
    name: `conv2dForward ${name}`,
    shapes,
    bufs: { x: normal(x), w: normal(w, 0.1), bias: normal(a.outC), y: poison(y) },
    attrs: a,
    outputs: ['y'],
  });
  for (const accumulate of [false, true]) {
    const tag = `${name}${accumulate ? ' accumulate' : ''}`;
    const out = (len: number) => (accumulate ? normal(len) : poison(len));
    cases.push({
      kernel: 'conv2dBackwardData',
      name: `conv2dBackwardData ${tag}`,
      shapes,
      bufs: { dy: normal(y), w: normal(w, 0.1), dx: out(x) },
      attrs: { ...a, accumulate },
      outputs: ['dx'],
    });
    cases.push({
      kernel: 'conv2dBackwardFilter',
      name: `conv2dBackwardFilter ${tag}`,
      shapes,
      bufs: { x: normal(x), dy: normal(y), dw: out(w), dbias: out(a.outC) },
      attrs: { ...a, accumulate },
      outputs: ['dw', 'dbias'],
    });
  }
  if (shapes === 'odd') {
    cases.push({
      kernel: 'conv2dForward',
      name: `conv2dForward ${name} without bias`,
      shapes,
      bufs: { x: normal(x), w: normal(w, 0.1), bias: null, y: poison(y) },
      attrs: a,
      outputs: ['y'],
    });
    cases.push({
      kernel: 'conv2dBackwardFilter',
      name: `conv2dBackwardFilter ${name} without bias`,
      shapes,
      bufs: { x: normal(x), dy: normal(y), dw: poison(w), dbias: null },
      attrs: { ...a, accumulate: false },
      outputs: ['dw'],
    });
  }
  return cases;
}

function pool(name: string, shapes: 'odd' | 'alexnet', a: PoolAttrs): ConformanceCase[] {
  const { outH, outW } = poolOutputShape(a);
  const x = a.n * a.c * a.h * a.w;
  const y = a.n * a.c * outH * outW;
  return [
    {
      kernel: 'maxPoolForward',
      name: `maxPoolForward ${name}`,
      shapes,
      bufs: { x: normal(x), y: poison(y) },
      attrs: a,
      outputs: ['y'],
      tolerance: 0,
    },
    ...[false, true].map(
      (accumulate): ConformanceCase => ({
        kernel: 'maxPoolBackward',
        name: `maxPoolBackward ${name}${accumulate ? ' accumulate' : ''}`,
        shapes,
        bufs: { x: normal(x), dy: normal(y), dx: accumulate ? normal(x) : poison(x) },
        attrs: { ...a, accumulate },
        outputs: ['dx'],
      }),
    ),
  ];
}

function lrn(name: string, shapes: 'odd' | 'alexnet', a: LrnAttrs): ConformanceCase[] {
  const len = a.n * a.c * a.h * a.w;
  // This std makes alpha·Σx² ≈ k, where the normalisation actually bends the activations.
  const std = Math.sqrt(a.k / (a.alpha * a.size));
  const derived = (): BufferSpec => ({ length: len, fill: { kind: 'derived' } });
  const fromX = (host: Record<string, Float32Array>) => {
    lrnForward(host.x!, host.y!, host.scale!, a);
  };
  return [
    {
      kernel: 'lrnForward',
      name: `lrnForward ${name}`,
      shapes,
      bufs: { x: normal(len, std), y: poison(len), scale: poison(len) },
      attrs: a,
      outputs: ['y', 'scale'],
    },
    ...[false, true].map(
      (accumulate): ConformanceCase => ({
        kernel: 'lrnBackward',
        name: `lrnBackward ${name}${accumulate ? ' accumulate' : ''}`,
        shapes,
        bufs: {
          x: normal(len, std),
          y: derived(),
          scale: derived(),
          dy: normal(len),
          dx: accumulate ? normal(len) : poison(len),
        },
        derive: fromX,
        attrs: { ...a, accumulate },
        outputs: ['dx'],
      }),
    ),
  ];
}

/** fc layers as the network runs them: y = x·Wᵀ, dx = dy·W, dW = dyᵀ·x. */
function fc(name: string, batch: number, inF: number, outF: number): ConformanceCase[] {
  const base = { alpha: 1 };
  return [
    {
      kernel: 'gemm',
      name: `gemm ${name} forward (x·Wᵀ)`,
      shapes: 'alexnet',
      bufs: { a: normal(batch * inF), b: normal(outF * inF, 0.01), c: poison(batch * outF) },
      attrs: { ...base, transA: false, transB: true, m: batch, n: outF, k: inF, beta: 0 },
      outputs: ['c'],
    },
    {
      kernel: 'gemm',
      name: `gemm ${name} backward data (dy·W)`,
      shapes: 'alexnet',
      bufs: { a: normal(batch * outF), b: normal(outF * inF, 0.01), c: poison(batch * inF) },
      attrs: { ...base, transA: false, transB: false, m: batch, n: inF, k: outF, beta: 0 },
      outputs: ['c'],
    },
    {
      kernel: 'gemm',
      name: `gemm ${name} backward filter (dyᵀ·x, accumulate)`,
      shapes: 'alexnet',
      bufs: { a: normal(batch * outF), b: normal(batch * inF), c: normal(outF * inF) },
      attrs: { ...base, transA: true, transB: false, m: outF, n: inF, k: batch, beta: 1 },
      outputs: ['c'],
    },
  ];
}

function gemmOdd(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const m = 7;
  const n = 5;
  const k = 13;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const beta of [0, 0.5]) {
        const lenA = m * k;
        const lenB = k * n;
        cases.push({
          kernel: 'gemm',
          name: `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${m}×${n}×${k} beta=${beta}`,
          shapes: 'odd',
          bufs: { a: normal(lenA), b: normal(lenB), c: beta === 0 ? poison(m * n) : normal(m * n) },
          attrs: { transA, transB, m, n, k, alpha: 1.5, beta },
          outputs: ['c'],
        });
      }
    }
  }
  // Few rows against many columns, as a fully connected layer at a small batch (x·Wᵀ and x·W).
  for (const transA of [false, true]) {
    for (const transB of [true, false]) {
      const [fm, fn, fk] = [9, 50, 37];
      cases.push({
        kernel: 'gemm',
        name: `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${fm}×${fn}×${fk} beta=0.5 (few rows, many columns)`,
        shapes: 'odd',
        bufs: { a: normal(fm * fk), b: normal(fk * fn), c: normal(fm * fn) },
        attrs: { transA, transB, m: fm, n: fn, k: fk, alpha: 1.5, beta: 0.5 },
        outputs: ['c'],
      });
    }
  }
  // Strided, offset sub-matrices (a block of a larger matrix), as a blocked caller would pass.
  cases.push({
    kernel: 'gemm',
    name: 'gemm NT with leading dimensions and offsets',
    shapes: 'odd',
    bufs: { a: normal(3 + 6 * 20), b: normal(5 + 9 * 17), c: normal(2 + 6 * 11) },
    attrs: {
      transA: false,
      transB: true,
      m: 6,
      n: 9,
      k: 15,
      alpha: -0.75,
      beta: 1,
      lda: 20,
      ldb: 17,
      ldc: 11,
      offsetA: 3,
      offsetB: 5,
      offsetC: 2,
    },
    outputs: ['c'],
  });
  return cases;
}

function elementwise(length: number, shapes: 'odd' | 'alexnet'): ConformanceCase[] {
  const cases: ConformanceCase[] = [
    {
      kernel: 'relu',
      name: `relu ${length}`,
      shapes,
      bufs: { x: normal(length), y: poison(length) },
      attrs: { length },
      outputs: ['y'],
      tolerance: 0,
    },
    {
      kernel: 'relu',
      name: `relu ${length} in place`,
      shapes,
      bufs: { x: normal(length) },
      alias: { y: 'x' },
      attrs: { length },
      outputs: ['x'],
      tolerance: 0,
    },
    {
      kernel: 'tanh',
      name: `tanh ${length}`,
      shapes,
      bufs: { x: normal(length, 2), y: poison(length) },
      attrs: { length },
      outputs: ['y'],
    },
  ];
  for (const accumulate of [false, true]) {
    const dx = accumulate ? normal(length) : poison(length);
    const tag = `${length}${accumulate ? ' accumulate' : ''}`;
    cases.push(
      {
        kernel: 'reluBackward',
        name: `reluBackward ${tag}`,
        shapes,
        bufs: { y: { length, fill: { kind: 'relu-output' } }, dy: normal(length), dx },
        attrs: { length, accumulate },
        outputs: ['dx'],
        tolerance: accumulate ? undefined : 0,
      },
      {
        kernel: 'tanhBackward',
        name: `tanhBackward ${tag}`,
        shapes,
        bufs: { y: { length, fill: { kind: 'uniform', lo: -1, hi: 1 } }, dy: normal(length), dx },
        attrs: { length, accumulate },
        outputs: ['dx'],
      },
      {
        kernel: 'dropoutBackward',
        name: `dropoutBackward ${tag}`,
        shapes,
        bufs: { dy: normal(length), mask: { length, fill: { kind: 'dropout-mask', p: 0.5 } }, dx },
        attrs: { length, accumulate },
        outputs: ['dx'],
        tolerance: accumulate ? undefined : 0,
      },
    );
  }
  for (const [p, seed, offset] of [
    [0.5, 1, 0],
    [0.5, 2 ** 40 + 12345, 7],
    [0.1, 99, 2 ** 33 + 3],
  ] as const) {
    cases.push({
      kernel: 'dropoutForward',
      name: `dropoutForward ${length} p=${p} seed=${seed} offset=${offset}`,
      shapes,
      bufs: { x: normal(length), y: poison(length), mask: poison(length) },
      attrs: { length, p, seed, offset },
      outputs: ['mask', 'y'],
      // 1/(1 − p) is not a float32 for p = 0.1 (rounding ≈ 3e-8); one wrong mask element among 1023
      // would give a relative error near 0.03, so 1e-6 still demands the identical mask.
      tolerance: 1e-6,
    });
  }
  cases.push(
    {
      kernel: 'sgdUpdate',
      name: `sgdUpdate ${length} (paper's rule)`,
      shapes,
      bufs: { w: normal(length, 0.01), grad: normal(length, 0.1), v: normal(length, 0.01) },
      attrs: { length, lr: 0.01, momentum: 0.9, weightDecay: 0.0005 },
      outputs: ['w', 'v'],
    },
    {
      kernel: 'axpy',
      name: `axpy ${length}`,
      shapes,
      bufs: { x: normal(length), y: normal(length) },
      attrs: { length, alpha: -0.3 },
      outputs: ['y'],
    },
  );
  return cases;
}

function biasAndSoftmax(n: number, c: number, spatial: number, shapes: 'odd' | 'alexnet'): ConformanceCase[] {
  const len = n * c * spatial;
  return [
    {
      kernel: 'biasAdd',
      name: `biasAdd ${n}×${c}×${spatial}`,
      shapes,
      bufs: { x: normal(len), bias: normal(c), y: poison(len) },
      attrs: { n, c, spatial },
      outputs: ['y'],
    },
    {
      kernel: 'biasAdd',
      name: `biasAdd ${n}×${c}×${spatial} in place`,
      shapes,
      bufs: { x: normal(len), bias: normal(c) },
      alias: { y: 'x' },
      attrs: { n, c, spatial },
      outputs: ['x'],
    },
    {
      kernel: 'biasGrad',
      name: `biasGrad ${n}×${c}×${spatial}`,
      shapes,
      bufs: { dy: normal(len), db: poison(c) },
      attrs: { n, c, spatial, accumulate: false },
      outputs: ['db'],
    },
    {
      kernel: 'biasGrad',
      name: `biasGrad ${n}×${c}×${spatial} accumulate`,
      shapes,
      bufs: { dy: normal(len), db: normal(c) },
      attrs: { n, c, spatial, accumulate: true },
      outputs: ['db'],
    },
  ];
}

function softmaxCases(n: number, classes: number, shapes: 'odd' | 'alexnet'): ConformanceCase[] {
  const len = n * classes;
  return [
    {
      kernel: 'softmax',
      name: `softmax ${n}×${classes}`,
      shapes,
      bufs: { x: normal(len, 3), y: poison(len) },
      attrs: { n, classes },
      outputs: ['y'],
    },
    {
      kernel: 'softmaxCrossEntropy',
      name: `softmaxCrossEntropy ${n}×${classes}`,
      shapes,
      bufs: {
        logits: normal(len, 3),
        labels: { length: n, fill: { kind: 'labels', classes } },
        loss: poison(n),
        dlogits: poison(len),
      },
      attrs: { n, classes, gradScale: 1 / n },
      outputs: ['loss', 'dlogits'],
    },
  ];
}

function channels(n: number, parts: number[], spatial: number, shapes: 'odd' | 'alexnet'): ConformanceCase[] {
  const total = parts.reduce((s, c) => s + c, 0);
  const len = n * total * spatial;
  return [
    {
      kernel: 'concatChannels',
      name: `concatChannels ${n}×[${parts.join(',')}]×${spatial}`,
      shapes,
      bufs: { inputs: parts.map((c) => normal(n * c * spatial)), y: poison(len) },
      attrs: { n, channels: parts, spatial },
      outputs: ['y'],
      tolerance: 0,
    },
    {
      kernel: 'splitChannels',
      name: `splitChannels ${n}×[${parts.join(',')}]×${spatial}`,
      shapes,
      bufs: { x: normal(len), outputs: parts.map((c) => poison(n * c * spatial)) },
      attrs: { n, channels: parts, spatial },
      outputs: parts.map((_, i) => `outputs[${i}]`),
      tolerance: 0,
    },
  ];
}

/** Odd shapes: every edge case of every kernel, small enough to run in milliseconds. */
export function oddCases(): ConformanceCase[] {
  return [
    ...gemmOdd(),
    ...convCases('2×6×7×9 → 4, 3×2 kernel, stride 2, pad 1, 2 groups', 'odd', {
      n: 2,
      c: 6,
      h: 7,
      w: 9,
      outC: 4,
      kh: 3,
      kw: 2,
      stride: 2,
      pad: 1,
      groups: 2,
    }),
    ...convCases('1×3×11×10 → 6, 5×5, stride 3, pad 2, 3 groups', 'odd', {
      n: 1,
      c: 3,
      h: 11,
      w: 10,
      outC: 6,
      kh: 5,
      kw: 5,
      stride: 3,
      pad: 2,
      groups: 3,
    }),
    ...convCases('3×5×4×4 → 7, 1×1', 'odd', {
      n: 3,
      c: 5,
      h: 4,
      w: 4,
      outC: 7,
      kh: 1,
      kw: 1,
      stride: 1,
      pad: 0,
      groups: 1,
    }),
    ...pool('2×3×9×7 z=3 s=2 pad 1 (overlapping)', 'odd', {
      n: 2,
      c: 3,
      h: 9,
      w: 7,
      size: 3,
      stride: 2,
      pad: 1,
    }),
    ...pool('1×2×8×6 z=2 s=2 (non-overlapping)', 'odd', {
      n: 1,
      c: 2,
      h: 8,
      w: 6,
      size: 2,
      stride: 2,
      pad: 0,
    }),
    ...pool('2×2×5×6 z=3 s=1', 'odd', { n: 2, c: 2, h: 5, w: 6, size: 3, stride: 1, pad: 0 }),
    ...lrn('2×7×3×4 n=5 (paper constants)', 'odd', {
      n: 2,
      c: 7,
      h: 3,
      w: 4,
      size: 5,
      alpha: 1e-4,
      beta: 0.75,
      k: 2,
      groups: 1,
    }),
    ...lrn('1×10×3×3 n=3, 2 groups', 'odd', {
      n: 1,
      c: 10,
      h: 3,
      w: 3,
      size: 3,
      alpha: 0.01,
      beta: 0.5,
      k: 1,
      groups: 2,
    }),
    ...elementwise(1023, 'odd'),
    ...biasAndSoftmax(3, 5, 7, 'odd'),
    ...softmaxCases(4, 3, 'odd'),
    ...channels(2, [3, 5], 6, 'odd'),
    ...channels(3, [2, 1, 4], 1, 'odd'),
  ];
}

/** AlexNet's real layer shapes (DESIGN §3) at batch `n`, with the paper's two towers as groups. */
export function alexnetCases(n = 1): ConformanceCase[] {
  const lrnP = { size: 5, alpha: 1e-4, beta: 0.75, k: 2, groups: 2 };
  return [
    ...convCases(`conv1 ${n}×3×224×224 → 96, 11×11 s4 p2`, 'alexnet', {
      n,
      c: 3,
      h: 224,
      w: 224,
      outC: 96,
      kh: 11,
      kw: 11,
      stride: 4,
      pad: 2,
      groups: 1,
    }),
    ...lrn(`lrn1 ${n}×96×55×55`, 'alexnet', { n, c: 96, h: 55, w: 55, ...lrnP }),
    ...pool(`pool1 ${n}×96×55×55`, 'alexnet', { n, c: 96, h: 55, w: 55, size: 3, stride: 2, pad: 0 }),
    ...convCases(`conv2 ${n}×96×27×27 → 256, 5×5 p2, 2 groups`, 'alexnet', {
      n,
      c: 96,
      h: 27,
      w: 27,
      outC: 256,
      kh: 5,
      kw: 5,
      stride: 1,
      pad: 2,
      groups: 2,
    }),
    ...lrn(`lrn2 ${n}×256×27×27`, 'alexnet', { n, c: 256, h: 27, w: 27, ...lrnP }),
    ...pool(`pool2 ${n}×256×27×27`, 'alexnet', { n, c: 256, h: 27, w: 27, size: 3, stride: 2, pad: 0 }),
    ...convCases(`conv3 ${n}×256×13×13 → 384, 3×3 p1`, 'alexnet', {
      n,
      c: 256,
      h: 13,
      w: 13,
      outC: 384,
      kh: 3,
      kw: 3,
      stride: 1,
      pad: 1,
      groups: 1,
    }),
    ...convCases(`conv4 ${n}×384×13×13 → 384, 3×3 p1, 2 groups`, 'alexnet', {
      n,
      c: 384,
      h: 13,
      w: 13,
      outC: 384,
      kh: 3,
      kw: 3,
      stride: 1,
      pad: 1,
      groups: 2,
    }),
    ...convCases(`conv5 ${n}×384×13×13 → 256, 3×3 p1, 2 groups`, 'alexnet', {
      n,
      c: 384,
      h: 13,
      w: 13,
      outC: 256,
      kh: 3,
      kw: 3,
      stride: 1,
      pad: 1,
      groups: 2,
    }),
    ...pool(`pool5 ${n}×256×13×13`, 'alexnet', { n, c: 256, h: 13, w: 13, size: 3, stride: 2, pad: 0 }),
    ...fc(`fc6 ${n}×9216 → 4096`, n, 9216, 4096),
    ...fc(`fc7 ${n}×4096 → 4096`, n, 4096, 4096),
    ...fc(`fc8 ${n}×4096 → 1000`, n, 4096, 1000),
    ...elementwise(n * 4096, 'alexnet'),
    ...biasAndSoftmax(n, 96, 55 * 55, 'alexnet'),
    ...softmaxCases(n, 1000, 'alexnet'),
    ...channels(n, [128, 128], 13 * 13, 'alexnet'),
  ];
}
