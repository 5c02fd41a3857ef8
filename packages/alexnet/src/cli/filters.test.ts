/**
 * `alexnet filters` (the paper's Figure 3) on a model file holding random conv1 weights: the PNG's
 * size follows the layout, and every kernel's pixels are its own min–max-normalised weights.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PhiloxStream } from '@alexnet/tensor';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAlexNetConfig } from '../config.js';
import { FILTER_BACKGROUND, filterPosition } from '../interop/filters.js';
import { modelMetadata } from '../train/model-file.js';
import { writeSafetensors } from '../train/safetensors.js';
import { runCli } from './main.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-filters-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

/** A model file with only conv1.weight (all the command reads), random N(0, 1) weights. */
function modelFile(name: string, towers: 1 | 2): { path: string; weights: Float32Array } {
  const weights = Float32Array.from(new PhiloxStream(towers).normal(96 * 3 * 11 * 11));
  const config = resolveAlexNetConfig({ input: 63, classes: 2, towers });
  const path = join(root, `${name}.safetensors`);
  writeSafetensors(
    path,
    new Map([['conv1.weight', { shape: [96, 3, 11, 11], data: weights }]]),
    modelMetadata(config, ['a', 'b']),
  );
  return { path, weights };
}

async function readPng(path: string): Promise<{ width: number; height: number; rgb: Buffer }> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return { width: info.width, height: info.height, rgb: data };
}

describe('alexnet filters', () => {
  it('draws 2 × 48 kernels, tower 1 above tower 2, each min–max normalised, upscaled', async () => {
    const { path, weights } = modelFile('two', 2);
    const png = join(root, 'two.png');
    const r = await cli('filters', '--checkpoint', path, '--png', png);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/tower 1 above tower 2/);
    const scale = 4;
    const img = await readPng(png);
    // 16 columns of 11 + 1 spacing, + 1; 2 towers × 3 rows of 12, + 1, + a gap of 4 between the towers
    expect([img.width, img.height]).toEqual([(16 * 12 + 1) * scale, (2 * 3 * 12 + 1 + 4) * scale]);
    expect(filterPosition(48)).toEqual({ x: 1, y: 1 + 36 + 4 });

    for (const k of [0, 17, 47, 48, 95]) {
      const w = weights.subarray(k * 363, (k + 1) * 363);
      const min = Math.min(...w);
      const max = Math.max(...w);
      const { x, y } = filterPosition(k);
      let lo = 255;
      let hi = 0;
      for (let c = 0; c < 3; c++) {
        for (let r = 0; r < 11; r++) {
          for (let q = 0; q < 11; q++) {
            const want = Math.round((255 * (w[c * 121 + r * 11 + q]! - min)) / (max - min));
            // every pixel of the weight's scale × scale square
            for (let dy = 0; dy < scale; dy++) {
              for (let dx = 0; dx < scale; dx++) {
                const at = (((y + r) * scale + dy) * img.width + (x + q) * scale + dx) * 3 + c;
                expect(img.rgb[at]).toBe(want);
              }
            }
            lo = Math.min(lo, want);
            hi = Math.max(hi, want);
          }
        }
      }
      expect([lo, hi]).toEqual([0, 255]);
    }
    // the gap between the towers is background
    const gapRow = (1 + 36 + 1) * scale;
    for (let i = 0; i < img.width * 3; i++)
      expect(img.rgb[gapRow * img.width * 3 + i]).toBe(FILTER_BACKGROUND);
  });

  it('draws a one-tower network without the gap; --scale sets the size', async () => {
    const { path } = modelFile('one', 1);
    const png = join(root, 'one.png');
    const r = await cli('filters', '--checkpoint', path, '--png', png, '--scale', '1', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ width: 193, height: 73, scale: 1, towers: 1 });
    const img = await readPng(png);
    expect([img.width, img.height]).toEqual([193, 73]);
  });

  it('explains its normalisation and refuses bad input', async () => {
    expect((await cli('filters', '--help')).out).toMatch(
      /contrast-normalised on its own: its 363 weights are scaled min–max to 0–255/,
    );
    const png = join(root, 'x.png');
    const scale = await cli('filters', '--checkpoint', root, '--png', png, '--scale', '0');
    expect([scale.code, scale.err]).toEqual([2, expect.stringMatching(/--scale must be from 1 to 64/)]);
    expect((await cli('filters', '--png', png)).code).toBe(2);
    const other = join(root, 'other.safetensors');
    writeSafetensors(other, new Map([['x', { shape: [1], data: new Float32Array(1) }]]), {});
    const notModel = await cli('filters', '--checkpoint', other, '--png', png);
    expect([notModel.code, notModel.err]).toEqual([1, expect.stringMatching(/not an alexnet model/)]);
  });
});
