import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DataPipelineResult,
  PREP_VARIANTS,
  parseCli,
  readTrainingRate,
  runDataPipeline,
} from './data-pipeline.js';
import { rotate, spread, summarize } from './measure.js';
import { dataMarkdown } from './report.js';

// Benchmarks measure; tests never assert wall-clock times. These check the bookkeeping and the shape
// of a tiny run's output (generated images, so it runs without ../shared/data).

const tmp = mkdtempSync(path.join(os.tmpdir(), 'data-pipeline-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('helpers', () => {
  it('summarizes, rotates and spreads', () => {
    expect(summarize([3, 1, 2])).toEqual({ runs: 3, median: 2, min: 1, max: 3, spread: 1 });
    expect(summarize([4, 2]).median).toBe(3);
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 3)).toEqual(['a', 'b', 'c']);
    expect(spread([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5)).toEqual([0, 2, 4, 6, 8]);
    expect(spread([1, 2], 5)).toEqual([1, 2]);
  });

  it('parses the command line', () => {
    expect(parseCli([])).toMatchObject({ mode: 'default', images: 1000, repeats: 9, batchSize: 128 });
    expect(parseCli(['--smoke'])).toMatchObject({ mode: 'smoke', images: 48, repeats: 1, batchSize: 16 });
    expect(parseCli(['--full'])).toMatchObject({ mode: 'full', images: undefined, repeats: 2 });
    expect(() => parseCli(['--smoke', '--full'])).toThrow(/exclude/);
    expect(() => parseCli(['--images', '0'])).toThrow(/positive integer/);
  });

  it('takes the fastest training rate at batch 128 from end-to-end.json, or says where it came from', () => {
    const file = path.join(tmp, 'e2e.json');
    writeFileSync(
      file,
      JSON.stringify({
        machine: { date: '2026-12-01T00:00:00Z' },
        native: [
          {
            impl: 'native',
            layout: 'one-device',
            phase: 'training',
            batch: 128,
            status: 'ok',
            imagesPerSecond: 7,
          },
          {
            impl: 'native',
            layout: 'two-devices',
            phase: 'training',
            batch: 128,
            status: 'ok',
            imagesPerSecond: 8,
          },
          {
            impl: 'native',
            layout: 'one-device',
            phase: 'inference',
            batch: 128,
            status: 'ok',
            imagesPerSecond: 20,
          },
          {
            impl: 'native',
            layout: 'one-device',
            phase: 'training',
            batch: 32,
            status: 'ok',
            imagesPerSecond: 9,
          },
        ],
        peers: [
          { peer: 'tfjs-wasm', phase: 'training', batch: 128, status: 'failed', imagesPerSecond: null },
        ],
      }),
    );
    expect(readTrainingRate(file)).toMatchObject({
      imagesPerSecond: 8,
      what: 'native, two-devices, training, batch 128',
    });
    const missing = readTrainingRate(path.join(tmp, 'absent.json'));
    expect(missing.imagesPerSecond).toBeGreaterThan(0);
    expect(missing.source).toMatch(/not found/);
  });
});

describe('a tiny run on generated images', () => {
  it('writes the JSON and SVG with every measurement', async () => {
    const outDir = path.join(tmp, 'out');
    const result: DataPipelineResult = await runDataPipeline({
      ...parseCli(['--smoke']),
      images: 12,
      repeats: 2,
      batchSize: 4,
      loaderBatches: 2,
      generate: true,
      outDir,
      log: () => {},
    });
    expect(existsSync(path.join(outDir, 'data-pipeline.svg'))).toBe(true);
    const json = JSON.parse(
      readFileSync(path.join(outDir, 'data-pipeline.json'), 'utf8'),
    ) as DataPipelineResult;
    expect(json.benchmark).toBe('data-pipeline');
    expect(json.dataset).toMatchObject({ generated: true, images: 12 });
    expect(json.preparation.runs).toHaveLength(2 * PREP_VARIANTS.length);
    for (const run of json.preparation.runs) expect(run.ok).toBe(12);
    // Alternating: each variant goes first in some repetition.
    expect(json.preparation.runs.filter((r) => r.position === 0).map((r) => r.variant)).toEqual([
      'prepare',
      'decodeImage',
    ]);
    expect(json.preparation.prepareOverSharp.runs).toBe(2);
    expect(json.preparation.prepareOverSharpByCpu.runs).toBe(2);
    expect(json.preparation.writeOnly.runs).toHaveLength(2);
    expect(json.loader.records).toBe(12);
    expect(json.loader.summary.map((s) => `${s.mode}/${s.workers}`)).toEqual([
      'train/0',
      'train/1',
      'train/2',
      'center/0',
      'center/1',
    ]);
    for (const run of json.loader.runs) {
      expect(run.batches).toBe(2);
      expect(run.images).toBe(8);
    }
    expect(json.training.imagesPerSecond).toBeGreaterThan(0);
    expect(dataMarkdown(result)).toContain('prepare ÷ sharp alone');
  });
});
