/** What the end-to-end benchmark measures in each mode, and how long each measurement may take. */
import type { PeerId, Phase, RepeatPlan } from '../peers/measure.js';
import type { Layout, NativeTask } from './native.js';

export const BATCHES = [1, 32, 128] as const;
export const LAYOUTS: readonly Layout[] = ['one-device', 'two-devices'];

const ONCE: RepeatPlan = { warmup: 1, minRepeats: 1, maxRepeats: 1, budgetMs: 0 };

/** Timed runs of native: at least `minRepeats`, then more until the budget is spent. */
function nativePlan(phase: Phase, batch: number): RepeatPlan {
  if (phase === 'inference') {
    if (batch === 1) return { warmup: 3, minRepeats: 10, maxRepeats: 100, budgetMs: 4000 };
    if (batch <= 32) return { warmup: 2, minRepeats: 5, maxRepeats: 20, budgetMs: 8000 };
    return { warmup: 1, minRepeats: 5, maxRepeats: 10, budgetMs: 10_000 };
  }
  if (batch === 1) return { warmup: 2, minRepeats: 5, maxRepeats: 30, budgetMs: 5000 };
  if (batch <= 32) return { warmup: 1, minRepeats: 5, maxRepeats: 10, budgetMs: 10_000 };
  return { warmup: 1, minRepeats: 3, maxRepeats: 5, budgetMs: 15_000 };
}

export function nativeTasks(smoke: boolean): NativeTask[] {
  const tasks: NativeTask[] = [];
  if (smoke) {
    for (const layout of LAYOUTS) {
      tasks.push({ layout, phase: 'inference', batch: 1, plan: ONCE, init: false, profile: false });
      // The one-device training smoke is also the profiler's smoke.
      tasks.push({
        layout,
        phase: 'training',
        batch: 2,
        plan: ONCE,
        init: false,
        profile: layout === 'one-device',
      });
    }
    return tasks;
  }
  for (const batch of BATCHES)
    for (const layout of LAYOUTS)
      for (const phase of ['inference', 'training'] as const)
        tasks.push({ layout, phase, batch, plan: nativePlan(phase, batch), init: true, profile: false });
  return tasks;
}

/** Profiled training steps (separate runs: the wrappers add a little time of their own). */
export function profileTasks(smoke: boolean): NativeTask[] {
  if (smoke) return [];
  return [
    {
      layout: 'one-device',
      phase: 'training',
      batch: 32,
      plan: { warmup: 1, minRepeats: 3, maxRepeats: 3, budgetMs: 0 },
      init: true,
      profile: true,
    },
    {
      layout: 'one-device',
      phase: 'training',
      batch: 128,
      plan: { warmup: 1, minRepeats: 2, maxRepeats: 2, budgetMs: 0 },
      init: true,
      profile: true,
    },
    // Not the two-device layout: its devices are queued (asynchronous), so a wrapped kernel call
    // returns before its work is done and its wall time says nothing (an earlier run put 99% of the
    // step "outside layers").
  ];
}

export interface PeerTask {
  peer: PeerId;
  phase: Phase;
  batch: number;
  plan: RepeatPlan;
  /** Hard cap on the worker process (setup included): it is killed after this many ms. */
  capMs: number;
  skip?: string;
}

export function peerTasks(smoke: boolean): PeerTask[] {
  if (smoke) {
    return [
      { peer: 'onnxruntime-node', phase: 'inference', batch: 1, plan: ONCE, capMs: 90_000 },
      { peer: 'tfjs-wasm', phase: 'inference', batch: 1, plan: ONCE, capMs: 90_000 },
      { peer: 'tfjs-cpu', phase: 'inference', batch: 1, plan: ONCE, capMs: 0, skip: 'not run with --smoke' },
    ];
  }
  return [
    {
      peer: 'onnxruntime-node',
      phase: 'inference',
      batch: 1,
      plan: { warmup: 3, minRepeats: 10, maxRepeats: 200, budgetMs: 5000 },
      capMs: 120_000,
    },
    {
      peer: 'onnxruntime-node',
      phase: 'inference',
      batch: 32,
      plan: { warmup: 2, minRepeats: 5, maxRepeats: 30, budgetMs: 10_000 },
      capMs: 180_000,
    },
    {
      peer: 'onnxruntime-node',
      phase: 'inference',
      batch: 128,
      plan: { warmup: 1, minRepeats: 3, maxRepeats: 10, budgetMs: 10_000 },
      capMs: 180_000,
    },
    {
      peer: 'tfjs-wasm',
      phase: 'inference',
      batch: 1,
      plan: { warmup: 2, minRepeats: 5, maxRepeats: 50, budgetMs: 5000 },
      capMs: 120_000,
    },
    {
      peer: 'tfjs-wasm',
      phase: 'inference',
      batch: 32,
      plan: { warmup: 1, minRepeats: 3, maxRepeats: 10, budgetMs: 10_000 },
      capMs: 180_000,
    },
    {
      peer: 'tfjs-wasm',
      phase: 'inference',
      batch: 128,
      plan: { warmup: 1, minRepeats: 3, maxRepeats: 5, budgetMs: 10_000 },
      capMs: 240_000,
    },
    // Stock tfjs-wasm 4.22 has no Conv2DBackpropFilter: expected to fail fast, measured if it ever works.
    {
      peer: 'tfjs-wasm',
      phase: 'training',
      batch: 32,
      plan: { warmup: 1, minRepeats: 2, maxRepeats: 3, budgetMs: 30_000 },
      capMs: 240_000,
    },
    // Pure-JS tfjs: only the smallest batch; training is one step without warm-up (≈ 2 min on a quiet
    // machine; the peers benchmark found its warm-up step no slower than its timed one).
    {
      peer: 'tfjs-cpu',
      phase: 'inference',
      batch: 1,
      plan: { warmup: 1, minRepeats: 3, maxRepeats: 5, budgetMs: 6000 },
      capMs: 120_000,
    },
    {
      peer: 'tfjs-cpu',
      phase: 'training',
      batch: 1,
      plan: { warmup: 0, minRepeats: 1, maxRepeats: 1, budgetMs: 0 },
      capMs: 420_000,
    },
  ];
}
