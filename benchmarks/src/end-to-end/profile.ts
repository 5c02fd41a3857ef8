/**
 * Where a training step's time goes, without touching the library: the benchmark wraps, on this
 * process's own objects, (1) each node's `layer.forward` / `layer.backward` and (2) every kernel of
 * each device's kernel table (`device.kernels`, the validated table layers call). The native backend
 * is synchronous — a kernel returns when its work is done — so the wall time of a wrapped call is its
 * compute time. Kernel calls are attributed to the node (and pass) running them; `sgdUpdate` calls
 * made by `Sgd.step` are attributed to the parameter's node, in the order of `Sgd.params`.
 */
import { performance } from 'node:perf_hooks';
import type { Net, Sgd } from '@alexnet/layers';
import type { Device } from '@alexnet/tensor';

export type ProfilePass = 'forward' | 'backward' | 'sgd' | 'zeroGrads';

export interface ProfileEntry {
  node: string;
  pass: ProfilePass;
  /** Kernel name, or '(layer)' for the whole layer call (kernels + JS around them). */
  kernel: string;
  ms: number;
  calls: number;
}

interface Current {
  node: string;
  pass: ProfilePass;
}

/** Accumulates times per (node, pass, kernel) over the steps between `reset()` and `take()`. */
export class StepProfiler {
  private current: Current | null = null;
  private readonly totals = new Map<string, ProfileEntry>();
  private sgdParamNodes: string[] = [];
  private sgdCall = 0;

  private add(node: string, pass: ProfilePass, kernel: string, ms: number): void {
    const key = `${node}\u0000${pass}\u0000${kernel}`;
    const e = this.totals.get(key);
    if (e) {
      e.ms += ms;
      e.calls++;
    } else this.totals.set(key, { node, pass, kernel, ms, calls: 1 });
  }

  /** Wraps every node's forward/backward and every kernel of every device of `net`, and `sgd.step`. */
  install(net: Net, sgd: Sgd | null): void {
    const queued = net.devices.filter((d) => d.backend.capabilities.asynchronous);
    if (queued.length > 0) {
      // a queued device's kernel call returns before its work is done: its wall time would mean nothing
      throw new Error(
        `StepProfiler: ${queued.map((d) => d.name).join(', ')} ${queued.length > 1 ? 'are' : 'is'} asynchronous; profiles need synchronous devices`,
      );
    }
    for (const device of net.devices) this.wrapKernels(device);
    for (const name of net.order) {
      const layer = net.layer(name) as unknown as Record<
        'forward' | 'backward',
        (...a: unknown[]) => unknown
      >;
      for (const pass of ['forward', 'backward'] as const) {
        const original = layer[pass].bind(layer);
        layer[pass] = (...args: unknown[]) => {
          const outer = this.current;
          this.current = { node: name, pass };
          const t0 = performance.now();
          try {
            return original(...args);
          } finally {
            this.add(name, pass, '(layer)', performance.now() - t0);
            this.current = outer;
          }
        };
      }
    }
    if (sgd) {
      this.sgdParamNodes = sgd.params.map((p) => p.name.split('.')[0]!);
      const step = sgd.step.bind(sgd);
      sgd.step = () => {
        this.sgdCall = 0;
        this.current = { node: '(sgd)', pass: 'sgd' };
        try {
          step();
        } finally {
          this.current = null;
        }
      };
    }
  }

  private wrapKernels(device: Device): void {
    const table = device.kernels as unknown as Record<string, (b: unknown, a: unknown) => void>;
    for (const name of Object.keys(table)) {
      const kernel = table[name]!;
      table[name] = (bufs: unknown, attrs: unknown) => {
        const t0 = performance.now();
        try {
          kernel(bufs, attrs);
        } finally {
          const ms = performance.now() - t0;
          const c = this.current;
          if (c === null) this.add('(outside layers)', 'forward', name, ms);
          else if (c.pass === 'sgd') {
            const node = this.sgdParamNodes[this.sgdCall++] ?? '(sgd)';
            this.add(node, 'sgd', name, ms);
          } else this.add(c.node, c.pass, name, ms);
        }
      };
    }
  }

  /** Times `fn` as the zero-gradient pass (it fills buffers through the backend, not the kernel table). */
  timeZeroGrads(fn: () => void): void {
    const t0 = performance.now();
    fn();
    this.add('(all params)', 'zeroGrads', '(fill)', performance.now() - t0);
  }

  reset(): void {
    this.totals.clear();
  }

  take(): ProfileEntry[] {
    const out = [...this.totals.values()].map((e) => ({ ...e }));
    this.totals.clear();
    return out;
  }
}

/** One row per node: forward, backward, SGD milliseconds (per step) and the kernels inside. */
export interface LayerProfileRow {
  node: string;
  forwardMs: number;
  backwardMs: number;
  sgdMs: number;
  totalMs: number;
  /** Share of the whole step's wall time. */
  share: number;
  /** Per kernel: ms per step, e.g. { conv2dBackwardFilter: 120 }. */
  kernels: Record<string, number>;
  /** Multiply-adds per step computed by the node's conv/linear kernels (forward, backward); null elsewhere. */
  forwardGflops: number | null;
  backwardGflops: number | null;
}

export interface StepProfile {
  layout: string;
  batch: number;
  /** Steps profiled (after warm-up); every ms below is the mean per step. */
  steps: number;
  stepMs: number;
  /** Medians of the profiled steps' wall times. */
  stepMsMedian: number;
  rows: LayerProfileRow[];
  /** Step wall time not inside any layer, SGD or zeroGrads call: Net bookkeeping, cross-device copies, loss read-back. */
  outsideMs: number;
  zeroGradsMs: number;
  /** Sum over all nodes by kernel: ms per step, largest first. */
  byKernel: { kernel: string; pass: ProfilePass; ms: number; share: number }[];
}

/**
 * Folds the raw entries of `steps` steps into per-node rows. `macs(node)` gives the forward
 * multiply-adds per image of a conv/linear node (null for others); a node's backward computes twice
 * that (data and filter gradients), except where the data gradient is skipped (`backwardDataSkipped`).
 */
export function foldProfile(
  entries: readonly ProfileEntry[],
  options: {
    layout: string;
    batch: number;
    steps: number;
    stepTimesMs: readonly number[];
    order: readonly string[];
    macs: (node: string) => number | null;
    backwardDataSkipped: (node: string) => boolean;
  },
): StepProfile {
  const { steps, batch } = options;
  const stepMs = options.stepTimesMs.reduce((a, b) => a + b, 0) / steps;
  const sorted = [...options.stepTimesMs].sort((a, b) => a - b);
  const stepMsMedian =
    sorted.length % 2
      ? sorted[sorted.length >> 1]!
      : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const rows: LayerProfileRow[] = [];
  let inside = 0;
  for (const node of options.order) {
    const mine = entries.filter((e) => e.node === node);
    const layer = (pass: ProfilePass) =>
      mine.filter((e) => e.pass === pass && e.kernel === '(layer)').reduce((s, e) => s + e.ms, 0) / steps;
    const forwardMs = layer('forward');
    const backwardMs = layer('backward');
    const sgdMs = mine.filter((e) => e.pass === 'sgd').reduce((s, e) => s + e.ms, 0) / steps;
    const kernels: Record<string, number> = {};
    for (const e of mine) {
      if (e.kernel === '(layer)') continue;
      const key = e.pass === 'forward' ? e.kernel : `${e.kernel} (${e.pass})`;
      kernels[key] = (kernels[key] ?? 0) + e.ms / steps;
    }
    const totalMs = forwardMs + backwardMs + sgdMs;
    inside += totalMs;
    const m = options.macs(node);
    const bwdFactor = options.backwardDataSkipped(node) ? 1 : 2;
    rows.push({
      node,
      forwardMs,
      backwardMs,
      sgdMs,
      totalMs,
      share: totalMs / stepMs,
      kernels,
      forwardGflops: m === null || forwardMs === 0 ? null : (2 * m * batch) / (forwardMs * 1e6),
      backwardGflops:
        m === null || backwardMs === 0 ? null : (2 * bwdFactor * m * batch) / (backwardMs * 1e6),
    });
  }
  const zeroGradsMs = entries.filter((e) => e.pass === 'zeroGrads').reduce((s, e) => s + e.ms, 0) / steps;
  const byKernelMap = new Map<string, { kernel: string; pass: ProfilePass; ms: number }>();
  for (const e of entries) {
    if (e.kernel === '(layer)' || e.pass === 'zeroGrads') continue;
    const key = `${e.kernel}\u0000${e.pass}`;
    const k = byKernelMap.get(key) ?? { kernel: e.kernel, pass: e.pass, ms: 0 };
    k.ms += e.ms / steps;
    byKernelMap.set(key, k);
  }
  const byKernel = [...byKernelMap.values()]
    .sort((a, b) => b.ms - a.ms)
    .map((k) => ({ ...k, share: k.ms / stepMs }));
  return {
    layout: options.layout,
    batch,
    steps,
    stepMs,
    stepMsMedian,
    rows,
    outsideMs: Math.max(0, stepMs - inside - zeroGradsMs),
    zeroGradsMs,
    byKernel,
  };
}
