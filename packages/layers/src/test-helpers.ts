/**
 * Test helpers (not exported by the package): float64 reference devices and the gradient check of
 * one layer — every input and parameter, through the write path (input gradients poisoned with NaN
 * first, so an unwritten element fails) and the accumulate path (input gradients and parameter
 * gradients holding random values that must be kept and added to).
 */
import { Device, ReferenceBackend, sizeOf, Tensor } from '@alexnet/tensor';
import {
  assertGradients,
  type GradCheckOptions,
  type GradCheckReport,
  type Inputs,
  runSeed,
  TestData,
} from '@alexnet/tensor/testing';
import { expect } from 'vitest';
import type { ForwardContext, Layer } from './layer.js';
import { SoftmaxCrossEntropy } from './layers/softmax-cross-entropy.js';

/** This run's seed (fresh each run; ALEXNET_TEST_SEED replays), printed by failing tests. */
export const SEED = runSeed();

export function f64Device(index = 0): Device {
  return new Device(new ReferenceBackend({ precision: 'float64', index }));
}

export function f32Device(index = 0): Device {
  return new Device(new ReferenceBackend({ index }));
}

/** Elements of a tensor, in float64 on a float64 reference device. */
export function readF64(t: Tensor): Float64Array {
  return (t.device.backend as ReferenceBackend).readFloat64(t.buffer, 0, t.size);
}

export function write(t: Tensor, data: ArrayLike<number>): void {
  t.device.backend.write(t.buffer, Float64Array.from(data));
}

/** Random values (uniform, mean 0, given std; never all zeros) as float64. */
export function random64(data: TestData, length: number, std = 1): Float64Array {
  return Float64Array.from(data.random(length, std));
}

export interface LayerCheck {
  layer: Layer;
  batch: number;
  /** Seed of the inputs, parameters and preset gradients (combined with the run's SEED). */
  seed: number;
  /** Per input: fixed data (labels), or null for random values. */
  inputs?: readonly (ArrayLike<number> | null)[];
  ctx?: ForwardContext;
  /** Std of the random parameters (default 1). */
  paramStd?: number;
  options?: GradCheckOptions;
}

function concat(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** |a − b| ≤ 1e-12 · max(1, |a|, |b|) for every element (accumulate must equal write + previous). */
function expectClose(a: Float64Array, b: Float64Array, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!), Math.abs(b[i]!));
    if (!(err <= 1e-12)) expect.fail(`${what}[${i}]: ${a[i]} vs ${b[i]} (seed ${SEED})`);
  }
}

/**
 * Centred-difference check (float64) of a layer's backward pass with respect to each differentiable
 * input and each parameter; the function is Σ outputs·dOut (for a loss layer: meanLoss·dOut).
 * Also checks that `accumulate` adds exactly what the write path wrote, and that parameter gradients
 * are accumulated into.
 */
export async function checkLayerGradients(c: LayerCheck): Promise<GradCheckReport> {
  const { layer, batch: n } = c;
  const dev = layer.device;
  const data = new TestData(SEED + c.seed);
  const params = layer.params();
  const ins = layer.inputShapes.map((s) => Tensor.zeros(dev, [n, ...s]));
  const outs = layer.outputShapes.map((s) => Tensor.zeros(dev, [n, ...s]));
  const problem: Inputs = {};
  layer.inputShapes.forEach((s, i) => {
    const fixed = c.inputs?.[i];
    problem[`in${i}`] = fixed ? Float64Array.from(fixed) : random64(data, n * sizeOf(s));
  });
  for (const p of params) problem[p.name] = random64(data, p.value.size, c.paramStd ?? 1);
  const wrt = [
    ...layer.inputShapes.flatMap((_, i) => (layer.differentiable(i) ? [`in${i}`] : [])),
    ...params.map((p) => p.name),
  ];
  const ctx = c.ctx ?? { training: true };
  const run = (inputs: Inputs) => {
    ins.forEach((t, i) => {
      write(t, inputs[`in${i}`]!);
    });
    for (const p of params) write(p.value, inputs[p.name]!);
    layer.forward(ins, outs, ctx);
  };
  const result = () =>
    layer instanceof SoftmaxCrossEntropy ? readF64(layer.meanLoss) : concat(outs.map((t) => readF64(t)));

  const report = await assertGradients(
    {
      inputs: problem,
      wrt,
      forward: (inputs) => {
        run(inputs);
        return result();
      },
      backward: (inputs, dOut) => {
        run(inputs);
        let at = 0;
        const dOutputs = outs.map((t) => {
          if (layer.isLoss) return null;
          const d = Tensor.zeros(dev, t.shape);
          write(d, dOut.subarray(at, at + t.size));
          at += t.size;
          return d;
        });
        const dIns = layer.inputShapes.map((s, i) =>
          layer.differentiable(i) ? Tensor.zeros(dev, [n, ...s]) : null,
        );
        const presetP = params.map((p) => random64(data, p.value.size));
        // write path: input gradients poisoned, parameter gradients preset (backward adds to them)
        for (const d of dIns) d?.device.backend.fill(d.buffer, Number.NaN);
        params.forEach((p, k) => {
          write(p.grad, presetP[k]!);
        });
        layer.backward(dOutputs, dIns, false);
        const gIn = dIns.map((d) => (d ? readF64(d) : null));
        const gP = params.map((p, k) => readF64(p.grad).map((v, j) => v - presetP[k]![j]!));
        // accumulate path: must add exactly the same
        const presetIn = dIns.map((d) => (d ? random64(data, d.size) : null));
        dIns.forEach((d, i) => {
          if (d) write(d, presetIn[i]!);
        });
        params.forEach((p, k) => {
          write(p.grad, presetP[k]!);
        });
        layer.backward(dOutputs, dIns, true);
        dIns.forEach((d, i) => {
          if (!d) return;
          const added = readF64(d).map((v, j) => v - presetIn[i]![j]!);
          expectClose(added, gIn[i]!, `${layer.name}: accumulated input gradient ${i}`);
        });
        params.forEach((p, k) => {
          expectClose(
            readF64(p.grad).map((v, j) => v - presetP[k]![j]!),
            gP[k]!,
            `${layer.name}: ${p.name} gradient, second pass`,
          );
        });
        for (const d of [...dOutputs, ...dIns]) d?.dispose();
        // a loss layer's gradient is that of its mean loss; the checked function is meanLoss · dOut
        const scale = layer.isLoss ? dOut[0]! : 1;
        const grads: Inputs = {};
        gIn.forEach((g, i) => {
          if (g) grads[`in${i}`] = g.map((v) => v * scale);
        });
        params.forEach((p, k) => {
          grads[p.name] = gP[k]!;
        });
        return grads;
      },
    },
    { seed: SEED + c.seed, ...c.options },
  );
  const total = wrt.reduce((s, k) => s + problem[k]!.length, 0);
  expect(report.checked, `elements checked (seed ${SEED})`).toBe(total);
  if (!c.options?.kinks) expect(report.kinksSkipped).toBe(0);
  for (const t of [...ins, ...outs]) t.dispose();
  return report;
}
