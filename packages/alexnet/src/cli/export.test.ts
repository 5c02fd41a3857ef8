/**
 * `alexnet export` and `alexnet filters` on a real checkpoint (one training step of the network at
 * input 63): the exported ONNX model, run in onnxruntime-node, gives the probabilities `alexnet
 * predict --json` prints for the same validation images; the Figure-3 PNG has the right size.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSpecOf, openData } from '../data/open.js';
import { resolveCheckpoint } from '../train/checkpoint.js';
import { readSafetensors } from '../train/safetensors.js';
import { runCli } from './main.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-export-'));
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

/** One step of the real network on a few built-in images: input 63, batch 4 (as train.test.ts). */
const SMALL = ['--input', '63', '--batch', '4', '--train-images', '12', '--val-images', '6', '--init', 'he'];
const IMAGES = 4;
const run = join(root, 'run');

beforeAll(async () => {
  const r = await cli('train', ...SMALL, '--epochs', '1', '--max-steps', '1', '--out', run);
  expect(r.code, r.err).toBe(0);
});

interface PredictJson {
  predictions: { image: string; top: { index: number; probability: number }[] }[];
}

describe('alexnet export', () => {
  it('writes an ONNX model whose probabilities match alexnet predict', async () => {
    const file = join(root, 'model.onnx');
    const e = await cli('export', '--checkpoint', run, '--onnx', file, '--json');
    expect(e.code, e.err).toBe(0);
    const info = JSON.parse(e.out);
    expect(info).toMatchObject({ opset: 13, input: { name: 'data', shape: ['N', 3, 63, 63] } });
    expect(info.outputs.map((o: { name: string }) => o.name)).toEqual(['logits', 'probs']);
    const classes: number = info.config.classes;
    expect(classes).toBe(10);

    const p = await cli('predict', '--checkpoint', run, '--images', String(IMAGES), '--top', '10', '--json');
    expect(p.code, p.err).toBe(0);
    const predicted = (JSON.parse(p.out) as PredictJson).predictions;
    expect(predicted).toHaveLength(IMAGES);

    // the images predict used: the first validation batch, as predict reads it
    const { metadata } = readSafetensors(resolveCheckpoint(run), () => false);
    const saved = dataSpecOf(metadata)!;
    const data = await openData(saved.spec, { input: 63, scale: saved.scale, builtin: saved.builtin });
    let images: Float32Array | undefined;
    for await (const batch of data.val.batches({ batchSize: IMAGES, mode: 'center', seed: 0, epoch: 0 })) {
      images = batch.images.slice(0, IMAGES * 3 * 63 * 63);
      break;
    }
    await data.close?.();

    const session = await ort.InferenceSession.create(readFileSync(file), { intraOpNumThreads: 1 });
    const out = await session.run({ data: new ort.Tensor('float32', images!, [IMAGES, 3, 63, 63]) });
    await session.release();
    const probs = out.probs!.data as Float32Array;
    expect(out.logits!.dims).toEqual([IMAGES, classes]);
    let diff = 0;
    predicted.forEach((pred, n) => {
      expect(pred.top).toHaveLength(classes);
      for (const t of pred.top)
        diff = Math.max(diff, Math.abs(probs[n * classes + t.index]! - t.probability));
    });
    const scale = Math.max(...predicted.flatMap((q) => q.top.map((t) => t.probability)));
    console.info(`alexnet export vs predict: max relative error of the probabilities ${diff / scale}`);
    expect(diff / scale).toBeLessThanOrEqual(1e-4);
  });

  it('prints a summary, and refuses bad command lines with exit code 2', async () => {
    const file = join(root, 'opset18.onnx');
    const ok = await cli('export', '--checkpoint', run, '--onnx', file, '--opset', '18');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/ONNX opset 18/);
    expect(ok.out).toMatch(/input: {3}data \[N, 3, 63, 63\]/);
    expect((await cli('export', '--help')).out).toMatch(/α divided by the window size/);
    const noOnnx = await cli('export', '--checkpoint', run);
    expect([noOnnx.code, noOnnx.err]).toEqual([2, expect.stringMatching(/--onnx <file.onnx> is required/)]);
    const badOpset = await cli('export', '--checkpoint', run, '--onnx', file, '--opset', '9');
    expect([badOpset.code, badOpset.err]).toEqual([
      2,
      expect.stringMatching(/--opset must be from 13 to 21/),
    ]);
    const missing = await cli('export', '--checkpoint', join(root, 'nothing'), '--onnx', file);
    expect([missing.code, missing.err]).toEqual([1, expect.stringMatching(/no checkpoint at/)]);
  });
});

describe('alexnet filters (trained checkpoint)', () => {
  it("draws conv1's kernels of a run", async () => {
    const png = join(root, 'filters.png');
    const r = await cli('filters', '--checkpoint', run, '--png', png, '--scale', '2', '--json');
    expect(r.code, r.err).toBe(0);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual([
      'png',
      JSON.parse(r.out).width,
      JSON.parse(r.out).height,
    ]);
  });
});
