// Runs scripts/browser/page.ts in headless Chromium (Debian's `chromium`, driven by playwright-core
// from examples/browser) and prints its result lines; exit status 1 when a case failed.
//   node scripts/browser/run.mjs webgl2|webgpu [odd|alexnet|all]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [mode = 'webgl2', set = 'odd'] = process.argv.slice(2);
const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-gpu-browser-'));
execFileSync(
  path.join(pkg, 'node_modules', '.bin', 'esbuild'),
  [
    path.join(pkg, 'scripts', 'browser', 'page.ts'),
    '--bundle',
    '--format=esm',
    '--target=es2022',
    `--outfile=${out}/page.js`,
    '--log-level=error',
  ],
  { stdio: 'inherit' },
);
fs.writeFileSync(
  path.join(out, 'index.html'),
  '<!doctype html><script type="module" src="page.js"></script>\n',
);

const require = createRequire(path.join(pkg, '..', '..', 'examples', 'browser', 'package.json'));
const { chromium } = require('playwright-core');
const server = http
  .createServer((req, res) => {
    const file = path.join(out, (req.url ?? '/').split('?')[0] === '/' ? 'index.html' : 'page.js');
    res.setHeader('content-type', file.endsWith('.js') ? 'text/javascript' : 'text/html');
    res.end(fs.readFileSync(file));
  })
  .listen(0);
const port = server.address().port;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless=new', '--enable-unsafe-webgpu', '--no-sandbox'],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://localhost:${port}/?mode=${mode}&set=${set}`, { timeout: 0 });
  await page.waitForFunction(() => window.__result, null, { timeout: 0 });
  const result = await page.evaluate(() => window.__result);
  console.log(result);
  if (result.includes('FAIL')) process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
  fs.rmSync(out, { recursive: true, force: true });
}
