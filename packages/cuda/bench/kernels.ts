/**
 * Per-kernel GPU time and GFLOP/s on AlexNet's layer shapes (paper network: 224 input, conv1 pad 2,
 * two towers as groups), forward and both backward passes, timed with CUDA events on the backend's
 * stream after a warm-up. Usage: node dist/bench/kernels.js [--batch 128] [--out dir] [--tf32] [--smoke]
 */
import type { BufferHandle, ConvAttrs, GemmAttrs, LrnAttrs, PoolAttrs } from '@alexnet/tensor';
import {
  type BenchArgs,
  CudaBackend,
  environment,
  median,
  parseArgs,
  randomArray,
  writeJson,
} from './common.js';

type Conv = Omit<ConvAttrs, 'n'>;
const CONVS: Record<string, Conv> = {
  conv1: { c: 3, h: 224, w: 224, outC: 96, kh: 11, kw: 11, stride: 4, pad: 2, groups: 1 },
  conv2: { c: 96, h: 27, w: 27, outC: 256, kh: 5, kw: 5, stride: 1, pad: 2, groups: 2 },
  conv3: { c: 256, h: 13, w: 13, outC: 384, kh: 3, kw: 3, stride: 1, pad: 1, groups: 1 },
  conv4: { c: 384, h: 13, w: 13, outC: 384, kh: 3, kw: 3, stride: 1, pad: 1, groups: 2 },
  conv5: { c: 384, h: 13, w: 13, outC: 256, kh: 3, kw: 3, stride: 1, pad: 1, groups: 2 },
};
const FCS: Record<string, { in: number; out: number }> = {
  fc6: { in: 9216, out: 4096 },
  fc7: { in: 4096, out: 4096 },
  fc8: { in: 4096, out: 1000 },
};
const LRNS: Record<string, Omit<LrnAttrs, 'n'>> = {
  lrn1: { c: 96, h: 55, w: 55, size: 5, alpha: 1e-4, beta: 0.75, k: 2, groups: 2 },
  lrn2: { c: 256, h: 27, w: 27, size: 5, alpha: 1e-4, beta: 0.75, k: 2, groups: 2 },
};
const POOLS: Record<string, Omit<PoolAttrs, 'n'>> = {
  pool1: { c: 96, h: 55, w: 55, size: 3, stride: 2, pad: 0 },
  pool2: { c: 256, h: 27, w: 27, size: 3, stride: 2, pad: 0 },
  pool5: { c: 256, h: 13, w: 13, size: 3, stride: 2, pad: 0 },
};

export interface KernelRow {
  layer: string;
  pass: 'forward' | 'backwardData' | 'backwardFilter' | 'backward';
  ms: number;
  gflops: number | null;
}

/** Smoke shapes: tiny, one of each kind, for checking the plumbing (e.g. through the stub driver). */
const SMOKE = {
  convs: { conv: { c: 4, h: 9, w: 9, outC: 6, kh: 3, kw: 3, stride: 2, pad: 1, groups: 2 } } as Record<
    string,
    Conv
  >,
  fcs: { fc: { in: 40, out: 24 } },
  lrns: { lrn: { c: 8, h: 5, w: 5, size: 5, alpha: 1e-4, beta: 0.75, k: 2, groups: 2 } },
  pools: { pool: { c: 4, h: 7, w: 7, size: 3, stride: 2, pad: 0 } },
};

const out = (i: number, k: number, s: number, p: number) => Math.floor((i + 2 * p - k) / s) + 1;

async function timeIt(be: CudaBackend, enqueue: () => void, reps: number): Promise<number> {
  enqueue(); // warm-up (and first-use allocations of scratch)
  await be.sync();
  const samples: number[] = [];
  for (let r = 0; r < 3; r++) samples.push(await be.time(enqueue, reps));
  return median(samples);
}

export async function runKernelBench(
  args: BenchArgs,
): Promise<{ rows: KernelRow[]; env: Record<string, unknown> }> {
  const be = new CudaBackend({ tf32: args.tf32 });
  const n = args.batch;
  const reps = args.smoke ? 1 : 5;
  const rows: KernelRow[] = [];
  const bufs: BufferHandle[] = [];
  const buf = (len: number, seed: number) => {
    const b = be.alloc(len);
    be.write(b, randomArray(len, seed));
    bufs.push(b);
    return b;
  };
  const release = () => {
    for (const b of bufs.splice(0)) be.free(b);
  };
  const shapes = args.smoke ? SMOKE : { convs: CONVS, fcs: FCS, lrns: LRNS, pools: POOLS };
  try {
    for (const [layer, c] of Object.entries(shapes.convs)) {
      const a: ConvAttrs = { n, ...c };
      const oh = out(c.h, c.kh, c.stride, c.pad);
      const ow = out(c.w, c.kw, c.stride, c.pad);
      const x = buf(n * c.c * c.h * c.w, 1);
      const w = buf(c.outC * (c.c / c.groups) * c.kh * c.kw, 2);
      const bias = buf(c.outC, 3);
      const y = buf(n * c.outC * oh * ow, 4);
      const dx = buf(n * c.c * c.h * c.w, 5);
      const dw = buf(c.outC * (c.c / c.groups) * c.kh * c.kw, 6);
      const db = buf(c.outC, 7);
      const flops = 2 * n * c.outC * oh * ow * (c.c / c.groups) * c.kh * c.kw;
      const f = await timeIt(be, () => be.kernels.conv2dForward({ x, w, bias, y }, a), reps);
      rows.push({ layer, pass: 'forward', ms: f, gflops: flops / f / 1e6 });
      const bd = await timeIt(
        be,
        () => be.kernels.conv2dBackwardData({ dy: y, w, dx }, { ...a, accumulate: false }),
        reps,
      );
      rows.push({ layer, pass: 'backwardData', ms: bd, gflops: flops / bd / 1e6 });
      const bf = await timeIt(
        be,
        () => be.kernels.conv2dBackwardFilter({ x, dy: y, dw, dbias: db }, { ...a, accumulate: false }),
        reps,
      );
      rows.push({ layer, pass: 'backwardFilter', ms: bf, gflops: flops / bf / 1e6 });
      release();
    }
    for (const [layer, fc] of Object.entries(shapes.fcs)) {
      const x = buf(n * fc.in, 1);
      const w = buf(fc.out * fc.in, 2);
      const y = buf(n * fc.out, 3);
      const dx = buf(n * fc.in, 4);
      const dw = buf(fc.out * fc.in, 5);
      const flops = 2 * n * fc.in * fc.out;
      const g = (attrs: GemmAttrs, a: BufferHandle, b: BufferHandle, c: BufferHandle) => () =>
        be.kernels.gemm({ a, b, c }, attrs);
      // y = x·Wᵀ ; dx = dy·W ; dW = dyᵀ·x
      const fwd = g({ transA: false, transB: true, m: n, n: fc.out, k: fc.in, alpha: 1, beta: 0 }, x, w, y);
      const bdat = g(
        { transA: false, transB: false, m: n, n: fc.in, k: fc.out, alpha: 1, beta: 0 },
        y,
        w,
        dx,
      );
      const bfil = g({ transA: true, transB: false, m: fc.out, n: fc.in, k: n, alpha: 1, beta: 0 }, y, x, dw);
      for (const [pass, fn] of [
        ['forward', fwd],
        ['backwardData', bdat],
        ['backwardFilter', bfil],
      ] as const) {
        const ms = await timeIt(be, fn, reps);
        rows.push({ layer, pass, ms, gflops: flops / ms / 1e6 });
      }
      release();
    }
    for (const [layer, l] of Object.entries(shapes.lrns)) {
      const len = n * l.c * l.h * l.w;
      const [x, y, scale, dy, dx] = [1, 2, 3, 4, 5].map((s) => buf(len, s)) as [
        BufferHandle,
        BufferHandle,
        BufferHandle,
        BufferHandle,
        BufferHandle,
      ];
      const a = { n, ...l };
      rows.push({
        layer,
        pass: 'forward',
        ms: await timeIt(be, () => be.kernels.lrnForward({ x, y, scale }, a), reps),
        gflops: null,
      });
      const bwd = () => be.kernels.lrnBackward({ x, y, scale, dy, dx }, { ...a, accumulate: false });
      rows.push({ layer, pass: 'backward', ms: await timeIt(be, bwd, reps), gflops: null });
      release();
    }
    for (const [layer, p] of Object.entries(shapes.pools)) {
      const oh = out(p.h, p.size, p.stride, p.pad);
      const x = buf(n * p.c * p.h * p.w, 1);
      const y = buf(n * p.c * oh * oh, 2);
      const dx = buf(n * p.c * p.h * p.w, 3);
      const a = { n, ...p };
      rows.push({
        layer,
        pass: 'forward',
        ms: await timeIt(be, () => be.kernels.maxPoolForward({ x, y }, a), reps),
        gflops: null,
      });
      const bwd = () => be.kernels.maxPoolBackward({ x, dy: y, dx }, { ...a, accumulate: false });
      rows.push({ layer, pass: 'backward', ms: await timeIt(be, bwd, reps), gflops: null });
      release();
    }
    return { rows, env: environment(be) };
  } finally {
    release();
    be.dispose();
  }
}

async function main(): Promise<void> {
  const args = parseArgs();
  const { rows, env } = await runKernelBench(args);
  const path = writeJson(args.out, `kernels${args.tf32 ? '-tf32' : ''}.json`, {
    env,
    batch: args.batch,
    tf32: args.tf32,
    rows,
  });
  if (env.stubDriver) console.log('NOTE: stub driver (CPU emulation): these times say nothing about a GPU');
  for (const r of rows) {
    console.log(
      `${r.layer.padEnd(6)} ${r.pass.padEnd(15)} ${r.ms.toFixed(3).padStart(9)} ms ${r.gflops === null ? '' : `${r.gflops.toFixed(0).padStart(7)} GFLOP/s`}`,
    );
  }
  console.log(`wrote ${path}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
