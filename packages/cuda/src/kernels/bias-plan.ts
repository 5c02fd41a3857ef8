import type { BiasAttrs, BufferHandle } from '@alexnet/tensor';
import { EW_THREADS, ewLaunch, flag, i32, ptr, scratch } from './args.js';
import type { KernelPlan } from './plan.js';

/** Below this many rows a fully connected bias gradient is one thread per channel (coalesced). */
const ROWS_PER_THREAD_MAX = 4096;
/** Elements each block of bias_grad_partial sums per thread, about (sets the number of parts). */
const PER_THREAD = 64;

export function planBiasAdd(
  b: { x: BufferHandle; bias: BufferHandle; y: BufferHandle },
  a: BiasAttrs,
): KernelPlan {
  const launches = [
    ewLaunch('bias_add', a.n * a.c * a.spatial, [
      ptr(b.x),
      ptr(b.bias),
      ptr(b.y),
      i32(a.n),
      i32(a.c),
      i32(a.spatial),
    ]),
  ];
  return { scratchElements: 0, launches };
}

/**
 * db[c] (+)= Σ dy[·, c, ·]. Fully connected (spatial 1): one thread per channel. Otherwise two
 * passes: `parts` blocks per channel write partial sums to scratch, a second kernel adds them in
 * a fixed order. No atomics anywhere, so the result is deterministic.
 */
export function planBiasGrad(
  b: { dy: BufferHandle; db: BufferHandle },
  a: BiasAttrs & { accumulate: boolean },
): KernelPlan {
  if (a.spatial === 1 && a.n <= ROWS_PER_THREAD_MAX) {
    return {
      scratchElements: 0,
      launches: [
        ewLaunch('bias_grad_rows', a.c, [ptr(b.dy), ptr(b.db), i32(a.n), i32(a.c), flag(a.accumulate)]),
      ],
    };
  }
  const parts = Math.max(1, Math.min(256, Math.ceil((a.n * a.spatial) / (EW_THREADS * PER_THREAD))));
  return {
    scratchElements: a.c * parts,
    launches: [
      {
        fn: 'bias_grad_partial',
        grid: [a.c, parts, 1],
        block: [EW_THREADS, 1, 1],
        sharedBytes: 0,
        args: [ptr(b.dy), scratch(0), i32(a.n), i32(a.c), i32(a.spatial)],
      },
      ewLaunch('bias_grad_finish', a.c, [scratch(0), ptr(b.db), i32(a.c), i32(parts), flag(a.accumulate)]),
    ],
  };
}
