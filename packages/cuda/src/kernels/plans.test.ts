import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BufferHandle,
  type ConvAttrs,
  convOutputShape,
  KERNEL_NAMES_V1,
  type KernelName,
  type KernelSignaturesV1,
  type LrnAttrs,
  type PoolAttrs,
  poolOutputShape,
} from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { GEMM_TILE } from './gemm-plan.js';
import type { KernelArg, KernelPlan, Launch } from './plan.js';
import { KERNEL_FUNCTIONS, planKernel } from './plan.js';
import { TF32_FUNCTIONS } from './plans.js';

const csrc = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'csrc');

type CType = 'ptr' | 'i32' | 'u32' | 'f32' | 'u64';

/** Kernel name → C parameter types, parsed from the extern "C" __global__ definitions in csrc. */
function parseKernelSignatures(): Map<string, CType[]> {
  const files = readdirSync(csrc).filter((f) => /\.(cu|cuh)$/.test(f));
  const text = files.map((f) => readFileSync(join(csrc, f), 'utf8')).join('\n');
  const macro = /#define GEMM_PARAMS\s*((?:.*\\\n)*.*)/.exec(text);
  if (!macro) throw new Error('GEMM_PARAMS not found in csrc');
  const gemmParams = macro[1]!.replace(/\\\n/g, ' ');
  const sigs = new Map<string, CType[]>();
  const re = /extern "C" __global__ void\s+(?:__launch_bounds__\([^)]*\)\s*)?(\w+)\s*\(([^)]*)\)/g;
  for (const m of text.matchAll(re)) {
    const params = m[2]!.trim() === 'GEMM_PARAMS' ? gemmParams : m[2]!;
    sigs.set(
      m[1]!,
      params.split(',').map((p): CType => {
        const decl = p.replace(/__restrict__/g, '').trim();
        if (decl.includes('*')) return 'ptr';
        if (/^unsigned long long\s/.test(decl)) return 'u64';
        if (/^unsigned\s/.test(decl)) return 'u32';
        if (/^int\s/.test(decl)) return 'i32';
        if (/^float\s/.test(decl)) return 'f32';
        throw new Error(`unsupported C parameter '${decl}' of ${m[1]}`);
      }),
    );
  }
  return sigs;
}

const SIGS = parseKernelSignatures();
const buf = (length: number): BufferHandle => ({ length, device: 'cuda:0' });

/** What a plan argument may be for a C type. */
function matches(arg: KernelArg, t: CType): boolean {
  if (t === 'ptr') return arg.kind === 'ptr' || arg.kind === 'scratch' || arg.kind === 'null';
  if (arg.kind !== t) return false;
  if (arg.kind === 'i32')
    return Number.isInteger(arg.value) && arg.value >= -(2 ** 31) && arg.value < 2 ** 31;
  if (arg.kind === 'u32') return Number.isInteger(arg.value) && arg.value >= 0 && arg.value < 2 ** 32;
  if (arg.kind === 'f32') return Number.isFinite(arg.value);
  if (arg.kind === 'u64') return arg.value >= 0n && arg.value < 2n ** 64n;
  return false;
}

/** Checks every launch of a plan against the parsed C signatures and the launch limits. */
function checkPlan(plan: KernelPlan): void {
  expect(plan.launches.length).toBeGreaterThan(0);
  for (const l of plan.launches) {
    const sig = SIGS.get(l.fn);
    expect(sig, `kernel ${l.fn} is not defined in csrc`).toBeDefined();
    expect(KERNEL_FUNCTIONS).toContain(l.fn);
    expect(l.args.length, `${l.fn}: argument count`).toBe(sig!.length);
    l.args.forEach((arg, i) => {
      expect(matches(arg, sig![i]!), `${l.fn} argument ${i}: ${arg.kind} for C ${sig![i]}`).toBe(true);
      if (arg.kind === 'ptr') expect(arg.offset ?? 0).toBeLessThan(arg.buf.length);
      if (arg.kind === 'scratch') expect(arg.offset).toBeLessThan(plan.scratchElements);
    });
    const [gx, gy, gz] = l.grid;
    expect(Math.min(gx, gy, gz)).toBeGreaterThanOrEqual(1);
    expect(gx).toBeLessThan(2 ** 31);
    expect(Math.max(gy, gz)).toBeLessThanOrEqual(65535);
    const threads = l.block[0] * l.block[1] * l.block[2];
    expect(threads).toBeLessThanOrEqual(256); // every kernel has __launch_bounds__(256) or less
    expect(l.sharedBytes).toBeLessThanOrEqual(48 * 1024);
    if (l.fn.startsWith('sgemm_')) checkGemmGrid(l);
  }
}

const value = (a: KernelArg | undefined): number => {
  if (a?.kind !== 'i32') throw new Error('expected an i32 argument');
  return a.value;
};

/** A GEMM grid covers C: ceil(N/128) × ceil(M/128) tiles. */
function checkGemmGrid(l: Launch): void {
  const [m, n] = [value(l.args[0]), value(l.args[1])];
  expect(l.grid[0] * GEMM_TILE).toBeGreaterThanOrEqual(n);
  expect(l.grid[1] * GEMM_TILE).toBeGreaterThanOrEqual(m);
  expect((l.grid[0] - 1) * GEMM_TILE).toBeLessThan(n);
  expect((l.grid[1] - 1) * GEMM_TILE).toBeLessThan(m);
  expect(l.block).toEqual([256, 1, 1]);
}

/** Buffers and attributes of a conv call (shapes from the contract). */
function convCall(a: ConvAttrs) {
  const { outH, outW } = convOutputShape(a);
  const x = buf(a.n * a.c * a.h * a.w);
  const w = buf((a.outC * a.c * a.kh * a.kw) / a.groups);
  const y = buf(a.n * a.outC * outH * outW);
  return { x, w, y, bias: buf(a.outC) };
}

const conv1: ConvAttrs = {
  n: 128,
  c: 3,
  h: 224,
  w: 224,
  outC: 96,
  kh: 11,
  kw: 11,
  stride: 4,
  pad: 2,
  groups: 1,
};
const conv2: ConvAttrs = {
  n: 128,
  c: 96,
  h: 27,
  w: 27,
  outC: 256,
  kh: 5,
  kw: 5,
  stride: 1,
  pad: 2,
  groups: 2,
};
const odd: ConvAttrs = { n: 2, c: 6, h: 7, w: 9, outC: 4, kh: 3, kw: 2, stride: 2, pad: 1, groups: 2 };
const oneByOne: ConvAttrs = { n: 3, c: 5, h: 4, w: 4, outC: 7, kh: 1, kw: 1, stride: 1, pad: 0, groups: 1 };
const pool: PoolAttrs = { n: 2, c: 3, h: 9, w: 7, size: 3, stride: 2, pad: 1 };
const lrn: LrnAttrs = { n: 2, c: 10, h: 3, w: 3, size: 5, alpha: 1e-4, beta: 0.75, k: 2, groups: 2 };

/** One or more sample calls of every contract kernel. */
function samples(): { [K in KernelName]: [KernelSignaturesV1[K]['bufs'], KernelSignaturesV1[K]['attrs']][] } {
  const L = 1023;
  const v = buf(L);
  const { outH, outW } = poolOutputShape(pool);
  const px = buf(pool.n * pool.c * pool.h * pool.w);
  const py = buf(pool.n * pool.c * outH * outW);
  const lx = buf(lrn.n * lrn.c * lrn.h * lrn.w);
  const convs = [conv1, conv2, odd, oneByOne];
  return {
    gemm: [
      [
        { a: buf(7 * 13), b: buf(13 * 5), c: buf(35) },
        { transA: false, transB: false, m: 7, n: 5, k: 13, alpha: 1, beta: 0 },
      ],
      [
        { a: buf(4096 * 9216), b: buf(128 * 9216), c: buf(128 * 4096) },
        { transA: false, transB: true, m: 128, n: 4096, k: 9216, alpha: 1, beta: 1 },
      ],
      [
        { a: buf(200), b: buf(200), c: buf(200) },
        {
          transA: true,
          transB: true,
          m: 6,
          n: 9,
          k: 15,
          alpha: -0.75,
          beta: 1,
          lda: 7,
          ldb: 17,
          ldc: 11,
          offsetA: 3,
          offsetB: 5,
          offsetC: 2,
        },
      ],
    ],
    conv2dForward: convs.map((a) => {
      const c = convCall(a);
      return [{ x: c.x, w: c.w, bias: c.bias, y: c.y }, a];
    }),
    conv2dBackwardData: convs.map((a) => {
      const c = convCall(a);
      return [
        { dy: c.y, w: c.w, dx: c.x },
        { ...a, accumulate: true },
      ];
    }),
    conv2dBackwardFilter: convs.flatMap((a) => {
      const c = convCall(a);
      return [
        [
          { x: c.x, dy: c.y, dw: c.w, dbias: c.bias },
          { ...a, accumulate: false },
        ],
        [
          { x: c.x, dy: c.y, dw: c.w, dbias: null },
          { ...a, accumulate: true },
        ],
      ] as const;
    }),
    maxPoolForward: [[{ x: px, y: py }, pool]],
    maxPoolBackward: [
      [
        { x: px, dy: py, dx: px },
        { ...pool, accumulate: false },
      ],
    ],
    lrnForward: [[{ x: lx, y: lx, scale: lx }, lrn]],
    lrnBackward: [
      [
        { x: lx, y: lx, scale: lx, dy: lx, dx: lx },
        { ...lrn, accumulate: true },
      ],
    ],
    relu: [[{ x: v, y: v }, { length: L }]],
    reluBackward: [
      [
        { y: v, dy: v, dx: v },
        { length: L, accumulate: false },
      ],
    ],
    tanh: [[{ x: v, y: v }, { length: L }]],
    tanhBackward: [
      [
        { y: v, dy: v, dx: v },
        { length: L, accumulate: true },
      ],
    ],
    dropoutForward: [
      [
        { x: v, y: v, mask: v },
        { length: L, p: 0.1, seed: 2 ** 40 + 12345, offset: 2 ** 33 + 3 },
      ],
    ],
    dropoutBackward: [
      [
        { dy: v, mask: v, dx: v },
        { length: L, accumulate: false },
      ],
    ],
    biasAdd: [
      [
        { x: buf(3 * 5 * 7), bias: buf(5), y: buf(3 * 5 * 7) },
        { n: 3, c: 5, spatial: 7 },
      ],
    ],
    biasGrad: [
      [
        { dy: buf(128 * 96 * 3025), db: buf(96) },
        { n: 128, c: 96, spatial: 3025, accumulate: false },
      ],
      [
        { dy: buf(128 * 4096), db: buf(4096) },
        { n: 128, c: 4096, spatial: 1, accumulate: true },
      ],
    ],
    softmax: [
      [
        { x: buf(4000), y: buf(4000) },
        { n: 4, classes: 1000 },
      ],
    ],
    softmaxCrossEntropy: [
      [
        { logits: buf(12), labels: buf(4), loss: buf(4), dlogits: buf(12) },
        { n: 4, classes: 3, gradScale: 0.25 },
      ],
    ],
    sgdUpdate: [
      [
        { w: v, grad: v, v },
        { length: L, lr: 0.01, momentum: 0.9, weightDecay: 5e-4 },
      ],
    ],
    concatChannels: [
      [
        { inputs: [buf(36), buf(60)], y: buf(96) },
        { n: 2, channels: [3, 5], spatial: 6 },
      ],
    ],
    splitChannels: [
      [
        { x: buf(96), outputs: [buf(36), buf(60)] },
        { n: 2, channels: [3, 5], spatial: 6 },
      ],
    ],
    axpy: [
      [
        { x: v, y: v },
        { length: L, alpha: -0.5 },
      ],
    ],
  };
}

describe('launch plans match the CUDA C kernels (parsed from csrc, no GPU needed)', () => {
  it('csrc defines exactly the kernels KERNEL_FUNCTIONS lists', () => {
    expect([...SIGS.keys()].sort()).toEqual([...KERNEL_FUNCTIONS].sort());
  });

  const all = samples();
  for (const name of KERNEL_NAMES_V1) {
    it(`${name}: arguments match the C signatures, grids within limits`, () => {
      const calls = all[name] as [never, never][];
      expect(calls.length).toBeGreaterThan(0);
      for (const [bufs, attrs] of calls) {
        checkPlan(planKernel(name, bufs, attrs, { tf32: false }));
        checkPlan(planKernel(name, bufs, attrs, { tf32: true }));
      }
    });
  }

  it('tf32 selects the tensor-core GEMMs only when asked', () => {
    const [bufs, attrs] = all.conv2dForward[1]!;
    const fns = (tf32: boolean) =>
      planKernel('conv2dForward', bufs, attrs, { tf32 }).launches.map((l) => l.fn);
    expect(fns(false).some((f) => TF32_FUNCTIONS.includes(f))).toBe(false);
    expect(fns(true).filter((f) => f.startsWith('sgemm'))).toEqual(
      fns(true).filter((f) => TF32_FUNCTIONS.includes(f)),
    );
  });

  it("conv1's im2col is chunked to fit the scratch budget, one batched GEMM per chunk", () => {
    const c = convCall(conv1);
    const plan = planKernel('conv2dForward', { x: c.x, w: c.w, bias: c.bias, y: c.y }, conv1, {
      tf32: false,
    });
    const gemms = plan.launches.filter((l) => l.fn === 'sgemm_nn');
    const images = gemms.reduce((s, l) => s + l.grid[2], 0);
    expect(images).toBe(conv1.n); // groups = 1: z = images of the chunk
    expect(plan.scratchElements).toBeLessThanOrEqual(2 ** 26);
  });

  it('a 1×1 stride-1 convolution skips im2col (x is the column matrix)', () => {
    const c = convCall(oneByOne);
    const plan = planKernel('conv2dForward', { x: c.x, w: c.w, bias: c.bias, y: c.y }, oneByOne, {
      tf32: false,
    });
    expect(plan.launches.map((l) => l.fn)).toEqual(['sgemm_nn']);
    expect(plan.scratchElements).toBe(0);
  });

  it('dropout passes the exact integer keep threshold ⌈p·2²⁴⌉ and the u64 seed/offset', () => {
    const L = 10;
    const v = buf(L);
    const plan = planKernel(
      'dropoutForward',
      { x: v, y: v, mask: v },
      { length: L, p: 0.1, seed: 2 ** 40 + 5, offset: 2 ** 33 },
      { tf32: false },
    );
    const args = plan.launches[0]!.args;
    expect(args[4]).toEqual({ kind: 'u64', value: 2n ** 40n + 5n });
    expect(args[5]).toEqual({ kind: 'u64', value: 2n ** 33n });
    expect(args[6]).toEqual({ kind: 'u32', value: Math.ceil(0.1 * 2 ** 24) });
  });

  it('fc6 at batch 128 (32 output tiles) is split along K into a batched launch + splitk_reduce', () => {
    const plan = planKernel(
      'gemm',
      { a: buf(128 * 9216), b: buf(4096 * 9216), c: buf(128 * 4096) },
      { transA: false, transB: true, m: 128, n: 4096, k: 9216, alpha: 1, beta: 0 },
      { tf32: false },
    );
    expect(plan.launches.map((l) => l.fn)).toEqual(['sgemm_nt', 'splitk_reduce']);
    const g = plan.launches[0]!;
    expect(g.grid[0] * g.grid[1] * g.grid[2]).toBeGreaterThanOrEqual(256);
    expect(value(g.args[2]) * g.grid[2]).toBe(9216); // the slices cover K exactly
    expect(plan.scratchElements).toBe(g.grid[2] * 128 * 4096);
  });

  it('empty elementwise calls launch nothing', () => {
    const v = buf(1);
    expect(planKernel('relu', { x: v, y: v }, { length: 0 }, { tf32: false }).launches).toEqual([]);
  });
});
