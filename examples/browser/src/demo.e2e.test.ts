/**
 * The browser demo end to end: headless Chromium (Debian's `chromium`, driven by playwright-core)
 * opens the page, the page loads a checkpoint made here, a PNG is uploaded, and the page's top-5
 * classes and probabilities must equal the Node reference backend's for the same input.
 *
 * The comparison is split so each part tests one thing: (1) preprocessing — the page's prepared
 * input equals `alexnet predict`'s (sharp decode + the data's toInput) exactly, for an image already
 * at the data's source size (no resampling on either side); (2) the forward pass — the reference
 * backend in Node runs on the page's own input, so any difference is the page's backend.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DECODE, decodeImage } from '@alexnet/imagenet';
import { Device, ReferenceBackend } from '@alexnet/tensor';
import {
  canonicalParams,
  createAlexNet,
  dataSpecOf,
  HE_INPUT_SCALE,
  loadAlexNet,
  openData,
  readCanonical,
  resolveAlexNetConfig,
  SHAPE_CLASSES,
  writeSafetensors,
} from 'alexnet';
import { dataSpecMetadata, modelMetadata, topClasses } from 'alexnet/browser';
import { type Browser, chromium } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoState } from './page/main.js';
import { type DemoServer, startDemoServer } from './server.js';

/** Debian's chromium; ALEXNET_CHROMIUM names another binary (a missing one shows the skip). */
const CHROMIUM = process.env.ALEXNET_CHROMIUM ?? '/usr/bin/chromium';
const here = dirname(fileURLToPath(import.meta.url));
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(
    `skipping the browser demo test: install Debian's chromium to run the browser demo test (apt-get install -y chromium)`,
  );

/**
 * Probabilities: the page computes in f32 on SwiftShader (WebGL2 shaders / WebGPU compute), the
 * reference in f32 with other summation orders and fused operations. Each layer's sums (up to
 * 2,304 terms here) round at ~1e-7 relative; through 8 layers and the softmax the probabilities
 * (≤ 1) move by ~1e-6 — measured 1.07e-6 in both modes. 1e-5 leaves ×10 margin, and the test
 * requires the top-6 probabilities to be further apart than 2e-5, so the order is well defined.
 */
const TOLERANCE = 1e-5;

const root = mkdtempSync(join(tmpdir(), 'browser-demo-'));
let server: DemoServer | undefined;
let browser: Browser | undefined;
let model = '';
let png: Buffer;
let nodeInput: Float32Array;
/** A smooth 150×100 picture: both sides resample it (sharp: Lanczos-3; the canvas: its 'high' filter). */
let widePng: Buffer;
let wideNodeInput: Float32Array;

describe.skipIf(!hasChromium)('browser demo in headless Chromium', () => {
  beforeAll(async () => {
    // a small random-init network (He init spreads the probabilities) saved as `alexnet train` saves one
    const config = resolveAlexNetConfig({ input: 63, classes: SHAPE_CLASSES.length, seed: 11 });
    const device = new Device(new ReferenceBackend());
    const net = createAlexNet(config, { devices: device, init: 'he' });
    const weights = await readCanonical(canonicalParams(net.params()));
    net.dispose();
    model = join(root, 'model.safetensors');
    const metadata = modelMetadata(
      config,
      SHAPE_CLASSES,
      dataSpecMetadata({ spec: 'builtin', scale: HE_INPUT_SCALE }),
    );
    writeSafetensors(model, weights, metadata);
    // the reference preparation of an image file, as `alexnet predict <file>` does it
    const saved = dataSpecOf(metadata)!;
    const data = await openData(saved.spec, {
      input: config.input,
      scale: saved.scale,
      builtin: saved.builtin,
    });
    const size = data.sourceSize!;
    // a real picture: random noise under a bright disc, at the data's source size
    const rgb = new Uint8Array(size * size * 3);
    let s = 12345;
    for (let p = 0; p < size * size; p++) {
      const x = (p % size) - size / 2;
      const y = Math.floor(p / size) - size / 3;
      for (let c = 0; c < 3; c++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        rgb[p * 3 + c] = x * x + y * y < (size / 4) ** 2 ? 200 + (s % 56) : s >>> 24;
      }
    }
    png = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toBuffer();
    const decoded = await decodeImage(png, { ...DEFAULT_DECODE, size });
    nodeInput = data.toInput!(decoded, 'center');
    const [w, h] = [150, 100];
    const wide = new Uint8Array(w * h * 3);
    for (let p = 0; p < w * h; p++) {
      const x = p % w;
      const y = Math.floor(p / w);
      const r = Math.hypot(x - 90, y - 45);
      wide[p * 3] = Math.round((255 * x) / (w - 1));
      wide[p * 3 + 1] = Math.round((255 * y) / (h - 1));
      wide[p * 3 + 2] = Math.round(255 / (1 + Math.exp((r - 25) / 4)));
    }
    widePng = await sharp(wide, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer();
    wideNodeInput = data.toInput!(await decodeImage(widePng, { ...DEFAULT_DECODE, size }), 'center');
    await data.close?.();
    server = await startDemoServer({ root: join(here, '../dist/page'), checkpoint: model });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function runPage(mode: string, image = png): Promise<DemoState> {
    const page = await browser!.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    try {
      await page.goto(`${server!.url}?mode=${mode}`);
      const ready = async () =>
        page.waitForFunction(() => ['ready', 'done', 'error'].includes(window.alexnetDemo?.phase), null, {
          timeout: 120_000,
        });
      await ready();
      let state = (await page.evaluate(() => window.alexnetDemo)) as DemoState;
      expect(state.error, logs.join('\n')).toBeUndefined();
      await page.setInputFiles('#image', { name: 'picture.png', mimeType: 'image/png', buffer: image });
      await page.waitForFunction(() => ['done', 'error'].includes(window.alexnetDemo.phase), null, {
        timeout: 120_000,
      });
      state = (await page.evaluate(() => window.alexnetDemo)) as DemoState;
      expect(state.error, logs.join('\n')).toBeUndefined();
      // the bars on the page are the result's top 5
      const bars = await page.$$eval('#top5 li', (lis) => lis.map((li) => li.getAttribute('data-class')));
      expect(bars).toEqual(state.result!.top.map((t) => t.class));
      return state;
    } finally {
      await page.close();
    }
  }

  async function referenceProbabilities(input: Float32Array): Promise<Float32Array> {
    const loaded = loadAlexNet(model, new Device(new ReferenceBackend()));
    try {
      await loaded.net.forward({ data: input, labels: new Float32Array(1) });
      return await loaded.net.read('loss:probs');
    } finally {
      loaded.net.dispose();
    }
  }

  function compare(state: DemoState, reference: Float32Array): number {
    const page = Float32Array.from(state.result!.probabilities);
    expect(page.length).toBe(reference.length);
    let maxDiff = 0;
    for (let i = 0; i < page.length; i++) maxDiff = Math.max(maxDiff, Math.abs(page[i]! - reference[i]!));
    const refTop = topClasses(reference, SHAPE_CLASSES, 6);
    console.log(
      `${state.mode}: top 6 ${refTop.map((t) => `${t.class} ${t.probability.toFixed(4)}`).join(', ')}`,
    );
    // the fixture must make the order meaningful: neighbours in the top 6 further apart than 2·tolerance
    for (let i = 0; i < 5; i++)
      expect(refTop[i]!.probability - refTop[i + 1]!.probability).toBeGreaterThan(2 * TOLERANCE);
    expect(state.result!.top.map((t) => t.class)).toEqual(refTop.slice(0, 5).map((t) => t.class));
    expect(maxDiff).toBeLessThanOrEqual(TOLERANCE);
    return maxDiff;
  }

  it('prepares a resized image like sharp up to the resampling filter (same cover crop)', async () => {
    const state = await runPage('reference', widePng);
    const input = Float32Array.from(state.result!.input);
    expect(input.length).toBe(wideNodeInput.length);
    // in pixel levels (0–255): the inputs are (pixel − mean) × scale
    let sum = 0;
    let max = 0;
    for (let i = 0; i < input.length; i++) {
      const d = Math.abs(input[i]! - wideNodeInput[i]!) / HE_INPUT_SCALE;
      sum += d;
      max = Math.max(max, d);
    }
    const mean = sum / input.length;
    console.log(
      `resized image: canvas vs sharp Lanczos-3: mean |Δ| ${mean.toFixed(2)} levels, max ${max.toFixed(1)}`,
    );
    // measured 0.10 / 1.0; a crop one pixel off would shift the red gradient by 2.4 levels at every
    // pixel (a mean of ≥ 0.8 over the three channels)
    expect(mean).toBeLessThan(0.5);
    expect(max).toBeLessThan(4);
  });

  for (const mode of ['webgl2', 'webgpu'] as const) {
    it(`runs the forward pass with gpu.js ${mode}, matching the Node reference backend`, async () => {
      const state = await runPage(mode);
      expect(state.mode).toBe(mode);
      const input = Float32Array.from(state.result!.input);
      // preprocessing: an image at the source size is copied as is, so the inputs are identical
      expect(input).toEqual(nodeInput);
      // the forward pass: Node's reference backend on the page's own input
      const diff = compare(state, await referenceProbabilities(input));
      console.log(
        `${mode}: max |Δp| = ${diff.toExponential(2)}, forward pass ${state.result!.forwardMs.toFixed(0)} ms`,
      );
    });
  }
});
