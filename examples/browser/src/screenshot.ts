/**
 * `pnpm --filter @alexnet/example-browser screenshot [-- --checkpoint <path>] [--mode webgl2]
 * [--index <n>] [--out <png>]`: opens the demo in headless Chromium (Debian's chromium), classifies
 * a built-in validation image (drawn at the model's source size) and saves the page as a PNG
 * (default docs/images/browser-demo.png; the README shows it).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dataSpecOf, drawShape, readSafetensors, resolveAlexNetConfig, resolveCheckpoint } from 'alexnet';
import { imageInput } from 'alexnet/browser';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { startDemoServer } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
// `pnpm start -- --port 1` passes the `--` on: drop it
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    checkpoint: { type: 'string' },
    mode: { type: 'string' },
    index: { type: 'string' },
    out: { type: 'string' },
  },
});
const base = process.env.INIT_CWD ?? process.cwd();
const model = resolveCheckpoint(
  values.checkpoint ? resolve(base, values.checkpoint) : join(repo, 'runs/quickstart'),
);
const out = values.out ? resolve(base, values.out) : join(repo, 'docs/images/browser-demo.png');
const mode = values.mode ?? 'webgl2';

const { metadata } = readSafetensors(model, () => false);
const saved = dataSpecOf(metadata);
if (saved && saved.spec !== 'builtin')
  throw new Error(`${model}: the screenshot draws built-in images; this model was trained on ${saved.spec}`);
const config = resolveAlexNetConfig(JSON.parse(metadata.config ?? 'null'));
const size = imageInput(config, metadata).sourceSize;
const rgb = new Uint8Array(size * size * 3);
drawShape(1, 'val', Number(values.index ?? 3), size, rgb);
const png = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
  .png()
  .toBuffer();

const server = await startDemoServer({ root: join(here, 'page'), checkpoint: model });
const browser = await chromium.launch({
  executablePath: process.env.ALEXNET_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  await page.goto(`${server.url}?mode=${mode}`);
  await page.waitForFunction(() => ['ready', 'error'].includes(window.alexnetDemo?.phase), null, {
    timeout: 120_000,
  });
  await page.setInputFiles('#image', { name: 'validation-shape.png', mimeType: 'image/png', buffer: png });
  await page.waitForFunction(() => ['done', 'error'].includes(window.alexnetDemo.phase), null, {
    timeout: 120_000,
  });
  const state = await page.evaluate(() => window.alexnetDemo);
  if (state.error) throw new Error(`the page failed: ${state.error}`);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(
    `wrote ${out}: ${state.mode}, ${state.result!.top.map((t) => `${t.class} ${(100 * t.probability).toFixed(1)}%`).join(', ')}`,
  );
} finally {
  await browser.close();
  await server.close();
}
