/**
 * The browser entry against the Node paths it stands in for: the same tensors as `readSafetensors`,
 * the same weights as `loadAlexNet`, the same network inputs as `alexnet predict` — and no Node
 * built-in or sharp in its bundle.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Device, ReferenceBackend } from '@alexnet/tensor';
import { TestData } from '@alexnet/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAlexNetConfig } from '../config.js';
import { openData } from '../data/open.js';
import { SHAPE_CLASSES } from '../data/shapes.js';
import { dataSpecMetadata } from '../data/spec.js';
import { createAlexNet } from '../network.js';
import { modelMetadata } from '../train/model-build.js';
import { loadAlexNet } from '../train/model-file.js';
import { canonicalParams, readCanonical } from '../train/params-io.js';
import { readSafetensors, SafetensorsError, writeSafetensors } from '../train/safetensors.js';
import { imageInput } from './image-input.js';
import { loadAlexNetBytes } from './model-bytes.js';
import { parseSafetensors } from './safetensors-bytes.js';
import { topClasses } from './top-classes.js';

const dir = mkdtempSync(join(tmpdir(), 'alexnet-browser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rnd = new TestData(3);

describe('alexnet/browser', () => {
  it('parses safetensors bytes as readSafetensors reads the file, aligned or not', () => {
    const path = join(dir, 'mixed.safetensors');
    const tensors = new Map([
      ['u8', { shape: [3], data: Uint8Array.of(1, 2, 3) }],
      ['w', { shape: [2, 3], data: rnd.uniform(6, -1, 1) }],
      ['d', { shape: [2], data: Float64Array.from(rnd.uniform(2, -1, 1)) }],
      ['i', { shape: [2], data: Int32Array.of(-7, 2 ** 30) }],
    ]);
    writeSafetensors(path, tensors, { note: 'é' });
    const bytes = new Uint8Array(readFileSync(path));
    const file = readSafetensors(path);
    // `w` follows 3 bytes of u8: misaligned for a Float32Array view, so it is copied
    for (const offset of [0, 1]) {
      const shifted = new Uint8Array(bytes.length + offset);
      shifted.set(bytes, offset);
      const parsed = parseSafetensors(shifted.subarray(offset));
      expect(parsed.metadata).toEqual(file.metadata);
      for (const [name, t] of file.tensors) {
        expect(parsed.tensors.get(name)!.shape).toEqual(t.shape);
        expect(parsed.tensors.get(name)!.data).toEqual(t.data);
      }
    }
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 2), 'cut')).toThrow(
      /cut: the tensors cover \d+ bytes but the file holds/,
    );
    expect(() => parseSafetensors(new TextEncoder().encode('not a model'), 'text')).toThrow(SafetensorsError);
  });

  it('builds the same network as loadAlexNet from the bytes, and prepares images as alexnet predict', async () => {
    const config = resolveAlexNetConfig({ input: 63, classes: SHAPE_CLASSES.length, seed: 5 });
    const device = new Device(new ReferenceBackend());
    const net = createAlexNet(config, { devices: device, init: 'he' });
    const weights = await readCanonical(canonicalParams(net.params()));
    net.dispose();
    const path = join(dir, 'model.safetensors');
    const spec = { spec: 'builtin', scale: 1 / 64, builtin: { trainSize: 40, valSize: 10 } };
    writeSafetensors(path, weights, modelMetadata(config, SHAPE_CLASSES, dataSpecMetadata(spec)));
    const fromFile = loadAlexNet(path, device);
    const fromBytes = loadAlexNetBytes(new Uint8Array(readFileSync(path)), device);
    expect(fromBytes.config).toEqual(fromFile.config);
    expect(fromBytes.classes).toEqual(fromFile.classes);
    const a = await readCanonical(canonicalParams(fromFile.net.params()));
    const b = await readCanonical(canonicalParams(fromBytes.net.params()));
    // bytewise: vitest's deep equality is far too slow for 20 M weights
    const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, w] of a) expect(bytes(b.get(name)!.data).equals(bytes(w.data)), name).toBe(true);
    fromFile.net.dispose();
    fromBytes.net.dispose();

    const data = await openData('builtin', { input: 63, scale: spec.scale, builtin: spec.builtin });
    const prepare = imageInput(config, modelMetadata(config, SHAPE_CLASSES, dataSpecMetadata(spec)));
    expect(prepare.sourceSize).toBe(data.sourceSize);
    const rgb = Uint8Array.from(rnd.uniform(prepare.sourceSize ** 2 * 3, 0, 256), Math.floor);
    expect(prepare.toInput(rgb)).toEqual(data.toInput!(rgb, 'center'));
    expect(prepare.toInput(Uint8ClampedArray.from(rgb))).toEqual(data.toInput!(rgb, 'center'));
    // a cache's mean cannot be measured here: it must be given
    const cached = modelMetadata(config, SHAPE_CLASSES, dataSpecMetadata({ spec: '/data/cache', scale: 1 }));
    expect(() => imageInput(config, cached)).toThrow(/mean image is needed/);
    const withMean = imageInput(config, cached, { sourceSize: 72, mean: [10, 20, 30] });
    const out = withMean.toInput(rgb);
    // centre crop of 63 from 72: offset 4; channel 1 of output pixel (0, 0) is source (4, 4)
    expect(out[63 * 63]).toBe(rgb[(4 * 72 + 4) * 3 + 1]! - 20);
  });

  it('orders the top classes by probability, ties by class index', () => {
    expect(topClasses([0.1, 0.4, 0.1, 0.4], ['a', 'b', 'c', 'd'], 3)).toEqual([
      { class: 'b', index: 1, probability: 0.4 },
      { class: 'd', index: 3, probability: 0.4 },
      { class: 'a', index: 0, probability: 0.1 },
    ]);
  });

  it('bundles without Node built-ins or sharp (dist/browser.js imports only @alexnet packages)', () => {
    const dist = join(dirname(fileURLToPath(import.meta.url)), '../../dist/browser.js');
    const code = readFileSync(dist, 'utf8');
    const imports = [...code.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);
    expect(imports.length).toBeGreaterThan(0);
    expect([...new Set(imports)].filter((m) => !m.startsWith('@alexnet/'))).toEqual([]);
  });
});
