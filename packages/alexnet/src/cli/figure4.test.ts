/**
 * The paper's Figure 4 on a tiny trained checkpoint (input 63, batch 4, one step): `alexnet
 * features` writes the fc8 inputs the network computes, nearest neighbours find a training image
 * itself at distance 0, and `neighbours` / `predict --png` write PNGs of the expected size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSpecOf, openData } from '../data/open.js';
import { selectDevices } from '../devices.js';
import { featureNode, nearestNeighbours, readFeatures } from '../interop/features.js';
import { neighbourGridSize, predictionsGridSize } from '../interop/figure4.js';
import { loadAlexNet } from '../train/model-file.js';
import { runCli } from './main.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-figure4-'));
const run = join(root, 'run');
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

beforeAll(async () => {
  const r = await cli(
    'train',
    ...['--input', '63', '--batch', '4', '--train-images', '12', '--val-images', '6', '--init', 'he'],
    ...['--max-steps', '1', '--out', run],
  );
  expect(r.code, r.err).toBe(0);
}, 120_000);

/** A picture, not a blank: every channel spans a wide range and has real spread. */
async function expectVaried(file: string): Promise<void> {
  const { channels } = await sharp(file).stats();
  for (const c of channels.slice(0, 3)) {
    expect(c.max - c.min, file).toBeGreaterThan(100);
    expect(c.stdev, file).toBeGreaterThan(10);
  }
}

describe('alexnet features / neighbours / predict --png (Figure 4)', () => {
  it("writes the split's fc8 inputs, equal to the network's own activations", async () => {
    const file = join(root, 'train.safetensors');
    const r = await cli('features', '--checkpoint', run, '--split', 'train', '--out', file, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ split: 'train', images: 12, dim: 4096, layer: 'drop7' });
    const f = readFeatures(file);
    expect([f.n, f.dim, f.labels.length, f.indices.length]).toEqual([12, 4096, 12, 12]);
    expect(f.metadata).toMatchObject({ split: 'train', layer: 'drop7' });
    expect(f.metadata.checkpoint).toMatch(/model\.safetensors$/);
    expect([...f.indices]).toEqual([...Array(12).keys()]);
    expect(f.features.every((x) => x >= 0)).toBe(true); // after ReLU

    // image 5 alone, forwarded directly through the whole net
    const { devices } = await selectDevices('auto', { log: false });
    const model = loadAlexNet(run, devices[0]!);
    const saved = dataSpecOf(model.metadata)!;
    const data = await openData(saved.spec, { input: 63, scale: saved.scale, builtin: saved.builtin });
    try {
      expect(featureNode(model.net)).toBe('drop7');
      let image: Float32Array | undefined;
      for await (const b of data.train.batches({
        batchSize: 1,
        mode: 'center',
        seed: 0,
        epoch: 0,
        startBatch: 5,
      })) {
        expect(b.indices[0]).toBe(5);
        image = b.images;
        break;
      }
      await model.net.forward({ data: image!, labels: new Float32Array([0]) });
      const direct = await model.net.read('drop7');
      const row = f.features.subarray(5 * 4096, 6 * 4096);
      let maxDiff = 0;
      let maxAbs = 0;
      for (let j = 0; j < 4096; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(direct[j]! - row[j]!));
        maxAbs = Math.max(maxAbs, Math.abs(direct[j]!));
      }
      expect(maxAbs).toBeGreaterThan(0);
      expect(maxDiff).toBeLessThanOrEqual(1e-4 * maxAbs);
    } finally {
      model.net.dispose();
    }

    // a training image queried against the training set is its own nearest neighbour
    const near = nearestNeighbours(f.features, f.features, f.dim, 3);
    near.forEach((list, i) => {
      expect(list[0]).toEqual({ row: i, distance: 0 });
      expect(list[1]!.distance).toBeGreaterThanOrEqual(0);
    });

    // neighbours from that file: a PNG of the grid's size
    const png = join(root, 'neighbours.png');
    const nb = await cli(
      'neighbours',
      ...[
        '--checkpoint',
        run,
        '--png',
        png,
        '--queries',
        '2',
        '--neighbours',
        '3',
        '--features',
        file,
        '--json',
      ],
    );
    expect(nb.code, nb.err).toBe(0);
    const result = JSON.parse(nb.out);
    expect(result.queries).toHaveLength(2);
    for (const q of result.queries) {
      expect(q.neighbours).toHaveLength(3);
      const d = q.neighbours.map((x: { distance: number }) => x.distance);
      expect(d).toEqual([...d].sort((a: number, b: number) => a - b));
    }
    await expectVaried(png);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual(Object.values(neighbourGridSize(2, 3, 63)));
    expect([result.width, result.height]).toEqual([meta.width, meta.height]);
    const text = await cli(
      'neighbours',
      '--checkpoint',
      run,
      '--png',
      png,
      '--queries',
      '1',
      '--features',
      file,
    );
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(
      /^wrote .*neighbours\.png \(\d+×\d+\)\nval #0 \([a-z ]+\): ([a-z ]+ \[train #\d+\](, )?){6}\n$/,
    );
  }, 120_000);

  it('predict --png draws each image with its top-5 bars', async () => {
    const png = join(root, 'predict.png');
    const r = await cli('predict', '--checkpoint', run, '--images', '3', '--png', png, '--json');
    expect(r.code, r.err).toBe(0);
    const { width, height } = predictionsGridSize(3, 63, 5);
    expect(JSON.parse(r.out).png).toMatchObject({ width, height });
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([width, height, 'png']);
    await expectVaried(png);
  }, 120_000);

  it('refuses a missing --out or --png', async () => {
    expect((await cli('features', '--checkpoint', run)).err).toMatch(/--out <file> is required/);
    expect((await cli('neighbours', '--checkpoint', run)).err).toMatch(/--png <file.png> is required/);
    expect((await cli('features', '--checkpoint', run, '--out', 'x', '--split', 'test')).code).toBe(2);
  });
});
