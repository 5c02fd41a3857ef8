import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Device } from '@alexnet/tensor';
import { selectDevices } from 'alexnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifarNetNodes, createCifarNet } from './cifar-net.js';
import { runVariant, summariseStudy } from './compare.js';
import { compareMarkdown } from './compare-report.js';
import { memoryData } from './memory-data.js';
import { CIFAR_LRN, NON_OVERLAPPING_POOL, OVERLAPPING_POOL, STUDIES, type StudySettings } from './studies.js';
import {
  pairedDifference,
  separated,
  summariseVariant,
  type VariantRunResult,
  variantPlan,
  variantRunName,
} from './variant-runs.js';

let device: Device;
let tmp: string;
beforeAll(async () => {
  const { devices } = await selectDevices('auto');
  device = Array.isArray(devices) ? devices[0]! : (devices as Device);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ablation-compare-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const shapesOf = (net: ReturnType<typeof createCifarNet>) =>
  Object.fromEntries(net.summary().map((r) => [r.name, r.outputShapes[0]]));

describe('the CIFAR-10 net variants', () => {
  it('overlapping 3×3/2 pad 1 and 2×2/2 pooling give the same sizes and parameter shapes', async () => {
    const a = createCifarNet(device, { activation: 'relu', seed: 4, pool: OVERLAPPING_POOL });
    const b = createCifarNet(device, { activation: 'relu', seed: 4, pool: NON_OVERLAPPING_POOL });
    try {
      for (const net of [a, b])
        expect(shapesOf(net)).toMatchObject({ pool1: [32, 16, 16], pool2: [32, 8, 8], pool3: [64, 4, 4] });
      expect(a.params().map((p) => p.value.shape)).toEqual(b.params().map((p) => p.value.shape));
      // same seed, same shapes: the same initial weights, so a seed pairs the two runs exactly
      for (let i = 0; i < a.params().length; i++)
        expect(await a.params()[i]!.value.toArray()).toEqual(await b.params()[i]!.value.toArray());
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('LRN sits between the activation and the pooling, with the paper-unit α, and adds no parameters', () => {
    const nodes = cifarNetNodes('relu', 10, { pool: OVERLAPPING_POOL, lrn: CIFAR_LRN });
    const byName = new Map(nodes.map((n) => [n.name, n]));
    expect(byName.get('norm1')!.inputs).toEqual(['act1']);
    expect(byName.get('pool1')!.inputs).toEqual(['norm1']);
    expect(byName.get('pool2')!.inputs).toEqual(['norm2']);
    expect(byName.has('norm3')).toBe(false);
    expect(CIFAR_LRN.alpha).toBeCloseTo(1e-4 * 64 * 64, 12);
    const withLrn = createCifarNet(device, {
      activation: 'relu',
      seed: 1,
      pool: OVERLAPPING_POOL,
      lrn: CIFAR_LRN,
    });
    const without = createCifarNet(device, { activation: 'relu', seed: 1, pool: OVERLAPPING_POOL });
    expect(withLrn.parameterCount).toBe(without.parameterCount);
    withLrn.dispose();
    without.dispose();
  });

  it("the Imagenette study's AlexNets agree in every size and parameter shape at input 63", () => {
    const study = STUDIES['pooling-imagenette'];
    const [a, b] = study.variants.map((v) => study.build(device, v.name, 0, 10));
    try {
      expect(a!.params().map((p) => p.value.shape)).toEqual(b!.params().map((p) => p.value.shape));
      const sizes = (net: typeof a) =>
        net!
          .summary()
          .filter((r) => /^pool\d/.test(r.name))
          .map((r) => r.outputShapes[0]);
      expect(sizes(a)).toEqual(sizes(b));
      expect(sizes(a).length).toBeGreaterThan(0);
    } finally {
      a!.dispose();
      b!.dispose();
    }
  });
});

const fakeRun = (
  variant: string,
  seed: number,
  test: number,
  train: number,
  top5 = test / 4,
): VariantRunResult => ({
  format: 'alexnet/ablation-variant-run',
  study: 'pooling-cifar',
  variant,
  seed,
  status: 'completed',
  testCurve: [{ epoch: 1, top1: test, top5, loss: 1 }],
  test: { epoch: 1, top1: test, top5, loss: 1 },
  train: { epoch: 1, top1: train, top5: train / 4, loss: 0.5 },
  trainLoss: [1],
  epochSeconds: [2],
});

describe('the bookkeeping', () => {
  it('plans seed-major (pairs finish together) with stable names', () => {
    expect(variantPlan(['a', 'b'], 2).map(variantRunName)).toEqual(['a-s0', 'b-s0', 'a-s1', 'b-s1']);
  });

  it('summarises per variant and pairs by seed', () => {
    const runs = [
      fakeRun('a', 0, 0.3, 0.1),
      fakeRun('b', 0, 0.35, 0.1),
      fakeRun('a', 1, 0.32, 0.12),
      fakeRun('b', 1, 0.36, 0.1),
      fakeRun('b', 2, 0.4, 0.2), // no partner: not paired
      { ...fakeRun('a', 2, 0.9, 0.9), status: 'diverged' as const, test: null, train: null },
    ];
    const sa = summariseVariant('a', runs);
    expect(sa.runs).toBe(3);
    expect(sa.diverged).toBe(1);
    expect(sa.testTop1!.n).toBe(2);
    expect(sa.testTop1!.mean).toBeCloseTo(0.31, 12);
    expect(sa.gap!.mean).toBeCloseTo(0.2, 12);
    const d = pairedDifference('a', 'b', runs);
    expect(d.seeds).toEqual([0, 1]);
    expect(d.testTop1!.mean).toBeCloseTo(-0.045, 12);
    expect(d.testTop1!.std).toBeCloseTo(Math.sqrt(2 * 0.005 ** 2), 12);
    expect(d.gap!.mean).toBeCloseTo((0.2 - 0.25 + (0.2 - 0.26)) / 2, 12);
    expect(separated(sa, summariseVariant('b', runs))).toBe(true);
    expect(separated(summariseVariant('b', runs), sa)).toBe(false);
  });

  it('does not call one run each, or overlapping ranges, separated', () => {
    const one = [fakeRun('a', 0, 0.3, 0.1), fakeRun('b', 0, 0.4, 0.1)];
    expect(separated(summariseVariant('a', one), summariseVariant('b', one))).toBeNull();
    const overlap = [...one, fakeRun('a', 1, 0.45, 0.1), fakeRun('b', 1, 0.35, 0.1)];
    expect(separated(summariseVariant('a', overlap), summariseVariant('b', overlap))).toBeNull();
  });
});

describe('a run of the pooling study (in-memory data)', () => {
  const settings: StudySettings = {
    ...STUDIES['pooling-cifar'].smoke,
    train: 64,
    epochs: 2,
    lrDrops: [1],
    seeds: 1,
  };
  const log = () => {};

  it('trains, measures test and training error, writes result.json, and is skipped once finished', async () => {
    const runsDir = path.join(tmp, 'pooling');
    const data = memoryData();
    const ctx = {
      study: STUDIES['pooling-cifar'],
      device,
      data,
      settings,
      runsDir,
      signal: new AbortController().signal,
      log,
    };
    const r = await runVariant({ variant: 'overlap', seed: 0 }, ctx);
    expect(r!.status).toBe('completed');
    expect(r!.testCurve.map((p) => p.epoch)).toEqual([1, 2]);
    expect(r!.test).toEqual(r!.testCurve.at(-1));
    for (const p of [r!.test!, r!.train!]) {
      expect(p.top1).toBeGreaterThanOrEqual(0);
      expect(p.top1).toBeLessThanOrEqual(1);
      expect(Number.isFinite(p.loss)).toBe(true);
    }
    expect(existsSync(path.join(runsDir, 'overlap-s0', 'result.json'))).toBe(true);
    // the second call reads the result instead of training again
    const again = await runVariant({ variant: 'overlap', seed: 0 }, ctx);
    expect(again).toEqual(r);

    const other = await runVariant({ variant: 'nonoverlap', seed: 0 }, ctx);
    const finished = new Map([
      [variantRunName({ variant: 'overlap', seed: 0 }), r!],
      [variantRunName({ variant: 'nonoverlap', seed: 0 }), other!],
    ]);
    const summary = summariseStudy(STUDIES['pooling-cifar'], settings, finished, {
      machine: { cpuModel: 'x' } as never,
      device: device.name,
      smoke: true,
      data: { source: 'memory', trainImages: 64, testImages: 32, classes: 10, preprocessing: 'none' },
    });
    expect(summary.complete).toBe(true);
    expect(summary.difference.seeds).toEqual([0]);
    expect(summary.difference.testTop1!.mean).toBeCloseTo(r!.test!.top1 - other!.test!.top1, 12);
    expect(compareMarkdown(summary)).toContain('overlapping 3×3/2');
  });
});
