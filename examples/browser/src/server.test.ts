/**
 * The demo server without a browser: COOP/COEP headers, the model's bytes, nothing outside the page
 * folder, and — for a model trained on an ImageNet-style cache — that cache's own mean image.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStats } from '@alexnet/imagenet';
import { PhiloxStream } from '@alexnet/tensor';
import { resolveAlexNetConfig, runCli, SHAPE_CLASSES, writeSafetensors } from 'alexnet';
import { dataSpecMetadata, modelMetadata } from 'alexnet/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer } from './server.js';

const root = mkdtempSync(join(tmpdir(), 'browser-demo-server-'));
const page = join(root, 'page');
const quiet = { out: () => {}, err: () => {} };

/** A model file with the metadata the server reads and conv1 (random, never zeros). */
function modelFile(name: string, data: string): string {
  const config = resolveAlexNetConfig({ input: 63, classes: SHAPE_CLASSES.length });
  const path = join(root, `${name}.safetensors`);
  const weights = Float32Array.from(new PhiloxStream(3).normal(96 * 3 * 11 * 11));
  writeSafetensors(
    path,
    new Map([['conv1.weight', { shape: [96, 3, 11, 11], data: weights }]]),
    modelMetadata(config, SHAPE_CLASSES, dataSpecMetadata({ spec: data, scale: 1 })),
  );
  return path;
}

beforeAll(async () => {
  mkdirSync(page);
  writeFileSync(join(page, 'index.html'), '<!doctype html><title>demo</title>');
  writeFileSync(join(root, 'secret.txt'), 'outside the page folder');
  // a small cache of the built-in shapes (72² records, as a 63² network's data), with its statistics
  for (const args of [
    ['data', 'builtin', '--out', join(root, 'shapes'), '--train-images', '20', '--val-images', '10'],
    ['data', 'prepare', join(root, 'shapes'), '--out', join(root, 'cache'), '--size', '72'],
    ['data', 'stats', join(root, 'cache')],
  ])
    expect(await runCli(args, quiet), args.join(' ')).toBe(0);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the demo server', () => {
  it('serves the page and the model cross-origin isolated, and nothing outside the page folder', async () => {
    const model = modelFile('builtin', 'builtin');
    const server = await startDemoServer({ root: page, checkpoint: model });
    try {
      const index = await fetch(server.url);
      expect(index.status).toBe(200);
      expect(index.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(index.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      const bytes = new Uint8Array(await (await fetch(`${server.url}model.safetensors`)).arrayBuffer());
      expect(Buffer.from(bytes).equals(readFileSync(model))).toBe(true);
      expect(await (await fetch(`${server.url}preprocess.json`)).json()).toEqual({ data: 'builtin' });
      // decoded, this path is ../secret.txt (it exists): refused
      expect((await fetch(`${server.url}..%2fsecret.txt`)).status).toBe(404);
      expect((await fetch(`${server.url}%E0%A4%A`)).status).toBe(400);
    } finally {
      await server.close();
    }
  });

  it("sends the cache's mean image for a model trained on a cache (its path relative to cwd)", async () => {
    const model = modelFile('cached', 'cache');
    const server = await startDemoServer({ root: page, checkpoint: model, cwd: root });
    try {
      const info = (await (await fetch(`${server.url}preprocess.json`)).json()) as Record<string, unknown>;
      expect(info).toEqual({ data: 'cache', sourceSize: 72, mean: '/mean.f32' });
      const mean = new Float32Array(await (await fetch(`${server.url}mean.f32`)).arrayBuffer());
      expect(mean).toEqual(loadStats(join(root, 'cache')).meanImage.data);
    } finally {
      await server.close();
    }
    // elsewhere the cache is not found: a clear error, not a page that prepares images wrongly
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    await expect(startDemoServer({ root: page, checkpoint: model, cwd: elsewhere })).rejects.toThrow(
      /trained on the cache cache, not found at .*elsewhere.*give the cache's folder with --data/,
    );
  });
});
