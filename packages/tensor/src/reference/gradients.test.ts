/**
 * Float64 gradient checks (centred differences, testing/gradcheck.ts) of every backward kernel of
 * the reference backend: each forward kernel is the function, its backward kernel(s) the claimed
 * gradient. Shapes are small and odd so the whole file runs in well under a second or two.
 */
import { describe, expect, it } from 'vitest';
import type { BufferHandle } from '../contract/buffer.js';
import type { ConvAttrs, GemmAttrs, LrnAttrs, PoolAttrs } from '../contract/kernels.js';
import { assertGradients, type GradCheckProblem, gradCheck, type Inputs } from '../testing/gradcheck.js';
import { TestData } from '../testing/random.js';
import { ReferenceBackend } from './backend.js';

const be = new ReferenceBackend({ precision: 'float64' });

/** Buffers made inside one call of `scoped`, freed when it returns. */
class Scope {
  private readonly bufs: BufferHandle[] = [];
  /** A buffer holding `data`. */
  in(data: ArrayLike<number>): BufferHandle {
    const b = be.alloc(data.length);
    be.write(b, Float64Array.from(data));
    this.bufs.push(b);
    return b;
  }
  /** An output buffer poisoned with NaN. */
  out(length: number): BufferHandle {
    const b = be.alloc(length);
    be.fill(b, Number.NaN);
    this.bufs.push(b);
    return b;
  }
  read(b: BufferHandle): Float64Array {
    return be.readFloat64(b);
  }
  free(): void {
    for (const b of this.bufs) be.free(b);
  }
}

function scoped<T>(f: (s: Scope) => T): T {
  const s = new Scope();
  try {
    return f(s);
  } finally {
    s.free();
  }
}

function random64(data: TestData, length: number, std = 1): Float64Array {
  return Float64Array.from(data.random(length, std));
}

/** assertGradients, plus: every element of every input was checked, and (kinks aside) all passed. */
async function check(problem: GradCheckProblem, kinks = false): Promise<void> {
  const report = await assertGradients(problem, { kinks });
  const wrt = problem.wrt ?? Object.keys(problem.inputs);
  const total = wrt.reduce((s, k) => s + problem.inputs[k]!.length, 0);
  expect(report.checked).toBe(total);
  if (!kinks) expect(report.kinksSkipped).toBe(0);
  expect(report.worstError).toBeLessThan(1e-6);
}

// ---- convolution ----

function convOut(a: ConvAttrs): number {
  const oh = Math.floor((a.h + 2 * a.pad - a.kh) / a.stride) + 1;
  const ow = Math.floor((a.w + 2 * a.pad - a.kw) / a.stride) + 1;
  return a.n * a.outC * oh * ow;
}

function convProblem(a: ConvAttrs, seed: number): GradCheckProblem {
  const data = new TestData(seed);
  const cg = a.c / a.groups;
  return {
    inputs: {
      x: random64(data, a.n * a.c * a.h * a.w),
      w: random64(data, a.outC * cg * a.kh * a.kw),
      bias: random64(data, a.outC),
    },
    forward: (i) =>
      scoped((s) => {
        const y = s.out(convOut(a));
        be.kernels.conv2dForward({ x: s.in(i.x!), w: s.in(i.w!), bias: s.in(i.bias!), y }, a);
        return s.read(y);
      }),
    backward: (i, dOut) =>
      scoped((s) => {
        const dy = s.in(dOut);
        const dx = s.out(i.x!.length);
        const dw = s.out(i.w!.length);
        const dbias = s.out(a.outC);
        be.kernels.conv2dBackwardData({ dy, w: s.in(i.w!), dx }, { ...a, accumulate: false });
        be.kernels.conv2dBackwardFilter({ x: s.in(i.x!), dy, dw, dbias }, { ...a, accumulate: false });
        return { x: s.read(dx), w: s.read(dw), bias: s.read(dbias) };
      }),
  };
}

describe('gradient checks: convolution (data, filter, bias)', () => {
  const configs: [string, ConvAttrs][] = [
    [
      'n=2 c=4 5×6 outC=6 k=3×2 stride 2 pad 1 groups 2',
      { n: 2, c: 4, h: 5, w: 6, outC: 6, kh: 3, kw: 2, stride: 2, pad: 1, groups: 2 },
    ],
    [
      'n=1 c=3 5×5 outC=2 k=3×3 stride 1 pad 0',
      { n: 1, c: 3, h: 5, w: 5, outC: 2, kh: 3, kw: 3, stride: 1, pad: 0, groups: 1 },
    ],
    [
      'n=1 c=2 7×5 outC=3 k=2×3 stride 3 pad 2 (unread pixels)',
      { n: 1, c: 2, h: 7, w: 5, outC: 3, kh: 2, kw: 3, stride: 3, pad: 2, groups: 1 },
    ],
  ];
  configs.forEach(([name, a], i) => {
    it(name, async () => {
      await check(convProblem(a, 7000 + i));
    });
  });
});

// ---- max pooling ----

describe('gradient checks: max pooling (kinks allowed)', () => {
  const configs: [string, PoolAttrs][] = [
    ['z=3 s=2 pad 1, n=2 c=3 5×7', { n: 2, c: 3, h: 5, w: 7, size: 3, stride: 2, pad: 1 }],
    ['z=2 s=2, n=1 c=2 5×4', { n: 1, c: 2, h: 5, w: 4, size: 2, stride: 2, pad: 0 }],
    ['z=3 s=1, n=1 c=1 6×6', { n: 1, c: 1, h: 6, w: 6, size: 3, stride: 1, pad: 0 }],
  ];
  configs.forEach(([name, a], ci) => {
    it(name, async () => {
      const data = new TestData(7100 + ci);
      const oh = Math.floor((a.h + 2 * a.pad - a.size) / a.stride) + 1;
      const ow = Math.floor((a.w + 2 * a.pad - a.size) / a.stride) + 1;
      const yLen = a.n * a.c * oh * ow;
      await check(
        {
          inputs: { x: random64(data, a.n * a.c * a.h * a.w) },
          forward: (i) =>
            scoped((s) => {
              const y = s.out(yLen);
              be.kernels.maxPoolForward({ x: s.in(i.x!), y }, a);
              return s.read(y);
            }),
          backward: (i, dOut) =>
            scoped((s) => {
              const dx = s.out(i.x!.length);
              be.kernels.maxPoolBackward({ x: s.in(i.x!), dy: s.in(dOut), dx }, { ...a, accumulate: false });
              return { x: s.read(dx) };
            }),
        },
        true,
      );
    });
  });
});

// ---- LRN ----

function lrnProblem(a: LrnAttrs, x: Float64Array, withCrossTerm = true): GradCheckProblem {
  const len = a.n * a.c * a.h * a.w;
  return {
    inputs: { x },
    forward: (i) =>
      scoped((s) => {
        const y = s.out(len);
        be.kernels.lrnForward({ x: s.in(i.x!), y, scale: s.out(len) }, a);
        return s.read(y);
      }),
    backward: (i, dOut) =>
      scoped((s) => {
        const bx = s.in(i.x!);
        const y = s.out(len);
        const scale = s.out(len);
        be.kernels.lrnForward({ x: bx, y, scale }, a);
        if (!withCrossTerm) {
          // deliberately wrong: only the diagonal term dy·scale^(−β)
          const sc = s.read(scale);
          return { x: Float64Array.from(dOut, (d, k) => d * sc[k]! ** -a.beta) };
        }
        const dx = s.out(len);
        be.kernels.lrnBackward({ x: bx, y, scale, dy: s.in(dOut), dx }, { ...a, accumulate: false });
        return { x: s.read(dx) };
      }),
  };
}

describe('gradient checks: LRN', () => {
  const paper = { size: 5, alpha: 1e-4, beta: 0.75, k: 2 };
  const configs: [string, LrnAttrs, number][] = [
    ['paper constants, one group, 7 channels', { n: 2, c: 7, h: 2, w: 3, ...paper, groups: 1 }, 10],
    ['paper constants, groups = 2 (two towers of 5)', { n: 1, c: 10, h: 3, w: 2, ...paper, groups: 2 }, 10],
    [
      'strong normalisation α=0.5 k=1, groups = 2, n=3',
      { n: 2, c: 8, h: 2, w: 2, size: 3, alpha: 0.5, beta: 0.75, k: 1, groups: 2 },
      1,
    ],
  ];
  configs.forEach(([name, a, std], ci) => {
    it(name, async () => {
      const data = new TestData(7200 + ci);
      await check(lrnProblem(a, random64(data, a.n * a.c * a.h * a.w, std)));
    });
  });
});

// ---- elementwise ----

function elementwiseProblem(
  x: Float64Array,
  fwd: (s: Scope, x: BufferHandle, y: BufferHandle, n: number) => void,
  bwd: (s: Scope, x: BufferHandle, dy: BufferHandle, dx: BufferHandle, n: number) => void,
): GradCheckProblem {
  const n = x.length;
  return {
    inputs: { x },
    forward: (i) =>
      scoped((s) => {
        const y = s.out(n);
        fwd(s, s.in(i.x!), y, n);
        return s.read(y);
      }),
    backward: (i, dOut) =>
      scoped((s) => {
        const dx = s.out(n);
        bwd(s, s.in(i.x!), s.in(dOut), dx, n);
        return { x: s.read(dx) };
      }),
  };
}

describe('gradient checks: elementwise', () => {
  it('relu (kinks allowed)', async () => {
    const x = random64(new TestData(7300), 301);
    await check(
      elementwiseProblem(
        x,
        (_s, bx, y, n) => be.kernels.relu({ x: bx, y }, { length: n }),
        (s, bx, dy, dx, n) => {
          const y = s.out(n);
          be.kernels.relu({ x: bx, y }, { length: n });
          be.kernels.reluBackward({ y, dy, dx }, { length: n, accumulate: false });
        },
      ),
      true,
    );
  });

  it('tanh', async () => {
    const x = random64(new TestData(7301), 257, 1.5);
    await check(
      elementwiseProblem(
        x,
        (_s, bx, y, n) => be.kernels.tanh({ x: bx, y }, { length: n }),
        (s, bx, dy, dx, n) => {
          const y = s.out(n);
          be.kernels.tanh({ x: bx, y }, { length: n });
          be.kernels.tanhBackward({ y, dy, dx }, { length: n, accumulate: false });
        },
      ),
    );
  });

  for (const p of [0.5, 0.2]) {
    it(`dropout p = ${p} (fixed seed and offset)`, async () => {
      const x = random64(new TestData(7302), 333);
      const attrs = { p, seed: 42, offset: 17 };
      await check(
        elementwiseProblem(
          x,
          (s, bx, y, n) => be.kernels.dropoutForward({ x: bx, y, mask: s.out(n) }, { length: n, ...attrs }),
          (s, bx, dy, dx, n) => {
            const mask = s.out(n);
            be.kernels.dropoutForward({ x: bx, y: s.out(n), mask }, { length: n, ...attrs });
            be.kernels.dropoutBackward({ dy, mask, dx }, { length: n, accumulate: false });
          },
        ),
      );
    });
  }
});

// ---- biasAdd ----

describe('gradient checks: biasAdd (dx = dy, dbias = biasGrad)', () => {
  for (const a of [
    { n: 3, c: 5, spatial: 7 },
    { n: 4, c: 6, spatial: 1 },
  ]) {
    it(`n=${a.n} c=${a.c} spatial=${a.spatial}`, async () => {
      const data = new TestData(7400 + a.spatial);
      const len = a.n * a.c * a.spatial;
      await check({
        inputs: { x: random64(data, len), bias: random64(data, a.c) },
        forward: (i) =>
          scoped((s) => {
            const y = s.out(len);
            be.kernels.biasAdd({ x: s.in(i.x!), bias: s.in(i.bias!), y }, a);
            return s.read(y);
          }),
        backward: (_i, dOut) =>
          scoped((s) => {
            const db = s.out(a.c);
            be.kernels.biasGrad({ dy: s.in(dOut), db }, { ...a, accumulate: false });
            return { x: Float64Array.from(dOut), bias: s.read(db) };
          }),
      });
    });
  }
});

// ---- softmax cross-entropy ----

describe('gradient checks: softmax cross-entropy w.r.t. the logits', () => {
  it('n=3, 7 classes (per-example loss weighted by dOut; gradScale = 1)', async () => {
    const data = new TestData(7500);
    const n = 3;
    const classes = 7;
    const labels = data.labels(n, classes);
    await check({
      inputs: { logits: random64(data, n * classes, 2) },
      forward: (i) =>
        scoped((s) => {
          const loss = s.out(n);
          be.kernels.softmaxCrossEntropy(
            { logits: s.in(i.logits!), labels: s.in(labels), loss, dlogits: s.out(n * classes) },
            { n, classes, gradScale: 1 },
          );
          return s.read(loss);
        }),
      backward: (i, dOut) =>
        scoped((s) => {
          const dlogits = s.out(n * classes);
          be.kernels.softmaxCrossEntropy(
            { logits: s.in(i.logits!), labels: s.in(labels), loss: s.out(n), dlogits },
            { n, classes, gradScale: 1 },
          );
          const d = s.read(dlogits);
          return { logits: d.map((v, k) => v * dOut[Math.floor(k / classes)]!) };
        }),
    });
  });

  it('gradScale = 1/n is the gradient of the mean loss', async () => {
    const data = new TestData(7501);
    const n = 4;
    const classes = 5;
    const labels = data.labels(n, classes);
    const run = (logits: Float64Array) =>
      scoped((s) => {
        const loss = s.out(n);
        const dlogits = s.out(n * classes);
        be.kernels.softmaxCrossEntropy(
          { logits: s.in(logits), labels: s.in(labels), loss, dlogits },
          { n, classes, gradScale: 1 / n },
        );
        return { loss: s.read(loss), d: s.read(dlogits) };
      });
    await check({
      inputs: { logits: random64(data, n * classes) },
      // a scalar function: the mean loss
      forward: (i) => Float64Array.of(run(i.logits!).loss.reduce((a, b) => a + b, 0) / n),
      backward: (i, dOut) => ({ logits: run(i.logits!).d.map((v) => v * dOut[0]!) }),
    });
  });
});

// ---- gemm ----

function gemmProblem(transA: boolean, transB: boolean, seed: number): GradCheckProblem {
  const m = 3;
  const n = 4;
  const k = 5;
  const alpha = 1.25;
  const beta = -0.5;
  const data = new TestData(seed);
  const gemm = (s: Scope, a: GemmAttrs, A: ArrayLike<number>, B: ArrayLike<number>, len: number) => {
    const c = s.out(len);
    be.kernels.gemm({ a: s.in(A), b: s.in(B), c }, a);
    return s.read(c);
  };
  return {
    inputs: { A: random64(data, m * k), B: random64(data, k * n), C: random64(data, m * n) },
    forward: (i) =>
      scoped((s) => {
        const c = s.in(i.C!);
        be.kernels.gemm({ a: s.in(i.A!), b: s.in(i.B!), c }, { transA, transB, m, n, k, alpha, beta });
        return s.read(c);
      }),
    // C = α·op(A)·op(B) + β·C0 ⇒ d op(A) = α·dC·op(B)ᵀ, d op(B) = α·op(A)ᵀ·dC, dC0 = β·dC — each
    // computed with gemm on the stored A and B.
    backward: (i, dC) =>
      scoped((s) => {
        const dA = transA
          ? gemm(s, { transA: transB, transB: true, m: k, n: m, k: n, alpha, beta: 0 }, i.B!, dC, k * m)
          : gemm(s, { transA: false, transB: !transB, m, n: k, k: n, alpha, beta: 0 }, dC, i.B!, m * k);
        const dB = transB
          ? gemm(s, { transA: true, transB: transA, m: n, n: k, k: m, alpha, beta: 0 }, dC, i.A!, n * k)
          : gemm(s, { transA: !transA, transB: false, m: k, n, k: m, alpha, beta: 0 }, i.A!, dC, k * n);
        return { A: dA, B: dB, C: dC.map((v) => beta * v) };
      }),
  };
}

describe('gradient checks: gemm (all four transpose combinations, alpha and beta)', () => {
  for (const [transA, transB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`transA=${transA} transB=${transB}`, async () => {
      await check(gemmProblem(transA, transB, 7600 + (transA ? 2 : 0) + (transB ? 1 : 0)));
    });
  }
});

// ---- the checks can fail ----

describe('the gradient checks detect wrong gradients', () => {
  it('tanhBackward fed x instead of y fails', async () => {
    const x = random64(new TestData(7700), 64, 1.5);
    const report = await gradCheck(
      elementwiseProblem(
        x,
        (_s, bx, y, n) => be.kernels.tanh({ x: bx, y }, { length: n }),
        (_s, bx, dy, dx, n) => be.kernels.tanhBackward({ y: bx, dy, dx }, { length: n, accumulate: false }),
      ),
    );
    expect(report.pass).toBe(false);
    expect(report.failures.length).toBeGreaterThan(32);
  });

  it('LRN backward without the cross-channel term fails (paper constants, |x| ~ 10)', async () => {
    const a: LrnAttrs = { n: 1, c: 7, h: 2, w: 2, size: 5, alpha: 1e-4, beta: 0.75, k: 2, groups: 1 };
    const report = await gradCheck(lrnProblem(a, random64(new TestData(7701), 28, 10), false));
    expect(report.pass).toBe(false);
  });

  it('conv backward data computed with the wrong padding fails', async () => {
    const a: ConvAttrs = { n: 1, c: 2, h: 5, w: 5, outC: 2, kh: 3, kw: 3, stride: 1, pad: 1, groups: 1 };
    const p = convProblem(a, 7702);
    const wrong: GradCheckProblem = {
      ...p,
      wrt: ['x'],
      backward: (i: Inputs, dOut: Float64Array) =>
        scoped((s) => {
          const dx = s.out(i.x!.length);
          // flip the filter: the adjoint of correlation is convolution, so this is a classic mistake
          const w = i.w!;
          const flipped = new Float64Array(w.length);
          for (let f = 0; f < w.length / 9; f++)
            for (let t = 0; t < 9; t++) flipped[f * 9 + t] = w[f * 9 + 8 - t]!;
          be.kernels.conv2dBackwardData(
            { dy: s.in(dOut), w: s.in(flipped), dx },
            { ...a, accumulate: false },
          );
          return { x: s.read(dx) };
        }),
    };
    const report = await gradCheck(wrong);
    expect(report.pass).toBe(false);
  });
});
