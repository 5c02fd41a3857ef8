/**
 * The two silent float32 traps of gpu.js (see README "Correctness traps"), checked in the modes CI can
 * run: cpu (float64, where neither bites, so it checks the kernels' logic) and webasm (float32 index
 * math, where both can); webgpu (Dawn on SwiftShader) too where scripts/modes.sh sets it up. WebGL2
 * and browser WebGPU runs: scripts/browser/run.mjs and the browser demo's end-to-end test.
 *
 * 1. A flat index above 2^24 is wrong in float32 modes: fc6's weight (4096 × 9216 = 37.7 M elements)
 *    goes through gemm (forward x·Wᵀ and backward dy·W), every output checked against a float64
 *    JavaScript reference, and sgdUpdate runs over 17.8 M elements (checked at sampled indices).
 *    A control kernel indexing the same weight flat shows the check catches the trap.
 * 2. Merged axes decoded with floor(z/K) go wrong at z = K·2^k on some devices: a convolution with 55
 *    output channels at batch 128 puts z = n·55 + oc through 55·2^k for k = 0…6, and integer-valued
 *    data makes every result exact, so those planes are compared for equality with the reference.
 */
import { type BufferHandle, type ConvAttrs, type KernelName, ReferenceBackend } from '@alexnet/tensor';
import { GPU } from 'gpu.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpuBackend, type GpuBackend } from './backend.js';
import type { GpuMode } from './modes.js';
import { installWebGpu, WEBGPU_MODULE } from './webgpu-test-support.js';

const O = 4096;
const I = 9216;

/** Deterministic pseudo-random floats in [-0.5, 0.5) (a Weyl sequence; cheap for 37.7 M values). */
function weyl(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    out[i] = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) >>> 8) / 2 ** 24 - 0.5;
  }
  return out;
}

/** Integers in [-r, r], as floats: sums of their products are exact in float32 and float64 alike. */
function smallInts(length: number, r: number, seed: number): Float32Array {
  const u = weyl(length, seed);
  return u.map((v) => Math.round((v + 0.5) * (2 * r + 1) - 0.5) - r);
}

/** op(A)·op(B) for the fc shapes used here, summed in float64 (B = W: [O, I] row-major). */
function gemm(
  A: Float32Array,
  B: Float32Array,
  C: Float64Array,
  g: { transB: boolean; m: number; n: number; k: number },
): void {
  for (let i = 0; i < g.m; i++) {
    for (let j = 0; j < g.n; j++) {
      let s = 0;
      for (let p = 0; p < g.k; p++) s += A[i * g.k + p]! * (g.transB ? B[j * g.k + p]! : B[p * g.n + j]!);
      C[i * g.n + j] = s;
    }
  }
}

/** Runs one kernel on the float64 reference backend and returns the named outputs. */
async function reference(
  kernel: KernelName,
  inputs: Record<string, Float32Array | null>,
  outputs: Record<string, number>,
  attrs: object,
): Promise<Record<string, Float64Array>> {
  const ref = new ReferenceBackend({ precision: 'float64' });
  const bufs: Record<string, BufferHandle | null> = {};
  for (const [name, data] of Object.entries(inputs)) {
    if (data === null) bufs[name] = null;
    else {
      const b = ref.alloc(data.length);
      ref.write(b, data);
      bufs[name] = b;
    }
  }
  for (const [name, length] of Object.entries(outputs)) bufs[name] = ref.alloc(length);
  (ref.kernels[kernel] as (b: unknown, a: unknown) => void)(bufs, attrs);
  const out: Record<string, Float64Array> = {};
  for (const name of Object.keys(outputs)) out[name] = ref.readFloat64(bufs[name]!);
  ref.dispose();
  return out;
}

function maxRelError(got: Float32Array, want: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
  }
  return worst;
}

const weight = weyl(O * I, 1);

// webgpu (Dawn in Node) only where scripts/modes.sh set it up; CI runs cpu and webasm.
const modes: GpuMode[] = ['cpu', 'webasm', ...(WEBGPU_MODULE ? (['webgpu'] as const) : [])];

for (const mode of modes) {
  describe(`gpu.js ${mode}: flat indices beyond 2^24 and merged-axis decoding`, () => {
    let gpu: GpuBackend;
    beforeAll(async () => {
      if (mode === 'webgpu') await installWebGpu();
      gpu = await createGpuBackend({ mode });
    });
    afterAll(() => gpu?.dispose());

    /** a [m×k] times fc6's weight (transposed or not) on the device vs float64, every output. */
    async function checkFc6Gemm(m: number, k: number, n: number, transB: boolean, seed: number) {
      const a = weyl(m * k, seed);
      const w = gpu.alloc(O * I);
      const ab = gpu.alloc(m * k);
      const cb = gpu.alloc(m * n);
      gpu.write(w, weight);
      gpu.write(ab, a);
      gpu.fill(cb, Number.NaN);
      gpu.kernels.gemm({ a: ab, b: w, c: cb }, { transA: false, transB, m, n, k, alpha: 1, beta: 0 });
      const got = await gpu.read(cb);
      const want = new Float64Array(m * n);
      gemm(a, weight, want, { transB, m, n, k });
      expect(maxRelError(got, want)).toBeLessThan(1e-4);
      for (const b of [w, ab, cb]) gpu.free(b);
    }

    it('fc6 gemm forward (x·Wᵀ, W has 37.7 M elements) matches float64 on every output', async () => {
      // Rows o ≥ 1821 start beyond 2^24; a flat index there reads the wrong weights (error ~1).
      await checkFc6Gemm(2, I, O, true, 2);
    });

    it('fc6 gemm backward data (dy·W) matches float64 on every output', async () => {
      await checkFc6Gemm(1, O, I, false, 3);
    });

    it('sgdUpdate over 2^24 + 1,000,003 elements is right beyond 2^24', async () => {
      // Past 2^24 by a million (and not a whole number of 8192-wide rows); fc6's full 37.7 M would
      // only cost time: the view arithmetic is the same.
      const length = 2 ** 24 + 1_000_003;
      const w = gpu.alloc(length);
      const g = gpu.alloc(length);
      const v = gpu.alloc(length);
      const grad = weyl(length, 4);
      const vel = weyl(length, 5);
      gpu.write(w, weight.subarray(0, length));
      gpu.write(g, grad);
      gpu.write(v, vel);
      const attrs = { length, lr: 0.01, momentum: 0.9, weightDecay: 0.0005 };
      gpu.kernels.sgdUpdate({ w, grad: g, v }, attrs);
      const gotW = await gpu.read(w);
      const gotV = await gpu.read(v);
      // Every 997th element (coprime to the 8192-wide rows, so every column position is sampled) plus the last.
      let worst = 0;
      for (let i = 0; i < length; i += i < length - 997 ? 997 : Math.max(1, length - 1 - i)) {
        const vi = attrs.momentum * vel[i]! - attrs.weightDecay * attrs.lr * weight[i]! - attrs.lr * grad[i]!;
        worst = Math.max(worst, Math.abs(gotV[i]! - vi), Math.abs(gotW[i]! - (weight[i]! + vi)));
        if (i === length - 1) break;
      }
      expect(worst).toBeLessThan(1e-6);
      for (const b of [w, g, v]) gpu.free(b);
    });

    if (mode === 'webasm') {
      it('control: a kernel indexing the weight flat (w[o·I + i]) IS wrong beyond 2^24 in webasm', () => {
        // Shows the checks above can fail: this is the trap they guard against (gpu.js 2.24.1).
        const flat = new GPU({ mode: 'webasm' }).createKernel(
          `function (w, x) {
            let s = 0;
            for (let i = 0; i < this.constants.I; i++) {
              s += w[this.thread.x * this.constants.I + i] * x[i];
            }
            return s;
          }`,
          { output: [O], constants: { I }, precision: 'single' },
        );
        const x = weyl(I, 2);
        const got = flat(weight, x) as Float32Array;
        const want = new Float64Array(O);
        gemm(x, weight, want, { transB: true, m: 1, n: O, k: I });
        const low = maxRelError(got.subarray(0, 1820), want.subarray(0, 1820));
        const high = maxRelError(got.subarray(1821), want.subarray(1821));
        expect(low).toBeLessThan(1e-4); // below 2^24 the flat index is fine
        expect(high).toBeGreaterThan(0.1); // above it, it reads the wrong weights
      });
    }

    it('conv with 55 output channels at batch 128: planes z = 55·2^k are exact', async () => {
      const a: ConvAttrs = { n: 128, c: 3, h: 7, w: 7, outC: 55, kh: 3, kw: 3, stride: 2, pad: 1, groups: 1 };
      const x = smallInts(a.n * a.c * a.h * a.w, 3, 6);
      const w = smallInts(a.outC * a.c * a.kh * a.kw, 2, 7);
      const bias = smallInts(a.outC, 5, 8);
      const plane = 4 * 4; // outH = outW = 4
      const len = a.n * a.outC * plane;
      const [xb, wb, bb, yb] = [x.length, w.length, bias.length, len].map((l) => gpu.alloc(l)) as [
        ReturnType<GpuBackend['alloc']>,
        ReturnType<GpuBackend['alloc']>,
        ReturnType<GpuBackend['alloc']>,
        ReturnType<GpuBackend['alloc']>,
      ];
      gpu.write(xb, x);
      gpu.write(wb, w);
      gpu.write(bb, bias);
      gpu.fill(yb, Number.NaN);
      gpu.kernels.conv2dForward({ x: xb, w: wb, bias: bb, y: yb }, a);
      const got = await gpu.read(yb);
      const want = (await reference('conv2dForward', { x, w, bias }, { y: len }, a)).y!;
      for (let k = 0; 55 * 2 ** k < a.n * a.outC; k++) {
        const z = 55 * 2 ** k; // n = 2^k, oc = 0: floor(z/55) computed as 2^k − 1 would read image 2^k − 1
        for (const zz of [z - 1, z, z + 1]) {
          const at = zz * plane;
          expect(Array.from(got.subarray(at, at + plane)), `plane z = ${zz}`).toEqual(
            Array.from(want.subarray(at, at + plane)),
          );
        }
      }
      expect(Array.from(got)).toEqual(Array.from(want)); // and every other plane
      for (const b of [xb, wb, bb, yb]) gpu.free(b);
    });

    it('LRN with 55 channels at batch 64: planes z = 55·2^k match the reference', async () => {
      const a = { n: 64, c: 55, h: 3, w: 3, size: 5, alpha: 1e-4, beta: 0.75, k: 2, groups: 1 };
      const len = a.n * a.c * a.h * a.w;
      const x = smallInts(len, 9, 9);
      const [xb, yb, sb] = [gpu.alloc(len), gpu.alloc(len), gpu.alloc(len)];
      gpu.write(xb, x);
      gpu.kernels.lrnForward({ x: xb, y: yb, scale: sb }, a);
      const scale = await gpu.read(sb);
      const wantScale = (await reference('lrnForward', { x }, { y: len, scale: len }, a)).scale!;
      // scale = k + alpha·(integer sum of squares): a wrong channel decode changes the sum by ≥ 1e-4.
      for (let k = 0; 55 * 2 ** k < a.n * a.c; k++) {
        const at = 55 * 2 ** k * a.h * a.w;
        for (let i = at - 9; i < at + 9; i++) expect(Math.abs(scale[i]! - wantScale[i]!)).toBeLessThan(2e-6);
      }
      for (const b of [xb, yb, sb]) gpu.free(b);
    });
  });
}
