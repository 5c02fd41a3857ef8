/**
 * Users install packages one by one: pack @alexnet/augment (and the @alexnet/tensor it depends on)
 * as npm would publish them, install both tarballs into an empty folder, import from ESM and
 * CommonJS, and run the README's example as written. Needs both built dist/ folders (turbo's test
 * task depends on build).
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { drawAugmentation } from './draw.js';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tensorDir = join(pkgDir, '../tensor');
const work = mkdtempSync(join(tmpdir(), 'alexnet-augment-pack-'));

/** pnpm as the running script was started with (npm_execpath), else the pinned one through npx. */
function pnpm(args: string[], cwd: string): string {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath))
    return execFileSync(process.execPath, [execPath, ...args], { cwd, encoding: 'utf8' });
  const root = JSON.parse(readFileSync(join(pkgDir, '../../package.json'), 'utf8')) as {
    packageManager: string;
  };
  return execFileSync('npx', ['-y', root.packageManager, ...args], { cwd, encoding: 'utf8' });
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('@alexnet/augment as an installed package', () => {
  it('packs, installs next to @alexnet/tensor, imports from ESM and CommonJS and runs the README example', () => {
    expect(existsSync(join(pkgDir, 'dist/index.js')), 'run the build first (pnpm build)').toBe(true);
    expect(existsSync(join(tensorDir, 'dist/index.js')), 'build @alexnet/tensor first').toBe(true);
    pnpm(['pack', '--pack-destination', work], tensorDir);
    pnpm(['pack', '--pack-destination', work], pkgDir);
    const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz'));
    const augment = tarballs.find((f) => f.startsWith('alexnet-augment-'));
    const tensor = tarballs.find((f) => f.startsWith('alexnet-tensor-'));
    expect(augment && tensor).toBeTruthy();
    // workspace:* became the tensor version it was packed with
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', join(work, augment!), 'package/package.json'], { encoding: 'utf8' }),
    ) as { dependencies: Record<string, string> };
    expect(manifest.dependencies['@alexnet/tensor']).toMatch(/^\d+\.\d+\.\d+/);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(work, tensor!), join(work, augment!)],
      { cwd: app, encoding: 'utf8' },
    );

    const check = `
      const src = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => i);
      const out = new Float32Array(3 * 2 * 2);
      A.writeCrop(src, 4, 3, { x: 2, y: 1, flip: true }, out, 0, { crop: 2, mean: [1, 2, 3] });
      let err = '';
      try { A.centerCrop(8, 8, 9); } catch (e) { err = e instanceof T.ArgumentError ? e.name : 'other'; }
      console.log(JSON.stringify({ out: [...out], ten: A.tenCrops(256, 256, 224).length, err }));`;
    writeFileSync(
      join(app, 'esm.mjs'),
      `import * as T from '@alexnet/tensor'; import * as A from '@alexnet/augment';${check}`,
    );
    writeFileSync(
      join(app, 'cjs.cjs'),
      `const T = require('@alexnet/tensor'); const A = require('@alexnet/augment');${check}`,
    );
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const out = JSON.parse(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }));
      // pixel (row r, column c, channel k) of the 4-wide source holds 12r + 3c + k; the crop at
      // x = 2, y = 1 mirrored reads columns 3, 2 of rows 1, 2; minus the mean [1, 2, 3].
      expect(out, file).toEqual({
        out: [20, 17, 32, 29, 20, 17, 32, 29, 20, 17, 32, 29],
        ten: 10,
        err: 'ArgumentError',
      });
    }

    // The README's example runs as written against the installed packages.
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const example = /<!-- example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'README example block').toBeDefined();
    writeFileSync(join(app, 'readme.mjs'), example!);
    const printed = execFileSync(process.execPath, ['readme.mjs'], { cwd: app, encoding: 'utf8' });
    expect(printed).toMatch(/^pixels: 8192 mean RGB: [\d.]+ [\d.]+ [\d.]+$/m);
    const draw = drawAugmentation({ seed: 42, epoch: 0, index: 0, srcWidth: 32, srcHeight: 32, crop: 24 });
    expect(printed).toContain(`image 0: ${JSON.stringify(draw)}\n`);
    expect(printed).toMatch(/^batch filled: true first value: -?[\d.]+$/m);
    expect(printed).toMatch(
      /^top-left \(0,0\), top-right \(8,0\), bottom-left \(0,8\), .* centre mirrored \(4,4\)$/m,
    );

    // Only the built files and the README are published, not sources, tests or the benchmark.
    const listing = execFileSync('tar', ['-tzf', join(work, augment!)], { encoding: 'utf8' });
    expect(listing).toMatch(/package\/dist\/index\.d\.ts/);
    expect(listing).toMatch(/package\/dist\/index\.d\.cts/);
    expect(listing).toMatch(/package\/dist\/index\.cjs/);
    expect(listing).toMatch(/package\/README\.md/);
    expect(listing).toMatch(/package\/LICENSE/);
    expect(listing).not.toMatch(/\.test\.|package\/src\/|package\/bench\/|\.map$/m);
  });
});
