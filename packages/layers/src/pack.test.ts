/**
 * Users install packages one by one: pack @alexnet/layers (and the @alexnet/tensor it depends on) as
 * npm would publish them, install both tarballs into an empty folder, import from ESM and CommonJS,
 * and run the README's example as written. Needs both built dist/ folders (turbo's test task
 * depends on build).
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

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tensorDir = join(pkgDir, '../tensor');
const work = mkdtempSync(join(tmpdir(), 'alexnet-layers-pack-'));

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

describe('@alexnet/layers as an installed package', () => {
  it('packs, installs next to @alexnet/tensor, imports from ESM and CommonJS and runs the README example', () => {
    expect(existsSync(join(pkgDir, 'dist/index.js')), 'run the build first (pnpm build)').toBe(true);
    expect(existsSync(join(tensorDir, 'dist/index.js')), 'build @alexnet/tensor first').toBe(true);
    pnpm(['pack', '--pack-destination', work], tensorDir);
    pnpm(['pack', '--pack-destination', work], pkgDir);
    const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz'));
    const layers = tarballs.find((f) => f.startsWith('alexnet-layers-'));
    const tensor = tarballs.find((f) => f.startsWith('alexnet-tensor-'));
    expect(layers && tensor).toBeTruthy();
    // workspace:* became the tensor version it was packed with
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', join(work, layers!), 'package/package.json'], { encoding: 'utf8' }),
    ) as { dependencies: Record<string, string> };
    expect(manifest.dependencies['@alexnet/tensor']).toMatch(/^\d+\.\d+\.\d+/);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(work, tensor!), join(work, layers!)],
      { cwd: app, encoding: 'utf8' },
    );

    const check = `
      const d = new T.Device(new T.ReferenceBackend());
      const relu = new L.ReLU(d, [2]);
      const x = T.Tensor.fromArray(d, [1, 2], [3, -4]);
      const y = T.Tensor.empty(d, [1, 2]);
      relu.forward([x], [y]);
      y.toArray().then((v) => console.log(JSON.stringify({ v: [...v], types: L.LAYER_TYPES.length })));`;
    writeFileSync(
      join(app, 'esm.mjs'),
      `import * as T from '@alexnet/tensor'; import * as L from '@alexnet/layers';${check}`,
    );
    writeFileSync(
      join(app, 'cjs.cjs'),
      `const T = require('@alexnet/tensor'); const L = require('@alexnet/layers');${check}`,
    );
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const out = JSON.parse(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }));
      expect(out, file).toEqual({ v: [3, 0], types: 11 });
    }

    // The README's example runs as written against the installed packages.
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const example = /<!-- example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'README example block').toBeDefined();
    writeFileSync(join(app, 'readme.mjs'), example!);
    const printed = execFileSync(process.execPath, ['readme.mjs'], { cwd: app, encoding: 'utf8' });
    expect(printed).toMatch(/^pool1 {2}max pool 3×3\/2 \(overlapping\) → \[8, 3, 3\]$/m);
    expect(printed).toMatch(/^parameters: 516$/m);
    const before = Number(/^loss before: ([\d.]+)$/m.exec(printed)?.[1]);
    const after = Number(/^loss after one step: ([\d.]+)$/m.exec(printed)?.[1]);
    expect(after).toBeLessThan(before);
    expect(printed).toMatch(/^fc: 8 values; logits shape \[ 2, 4 \]$/m);

    // Only the built files and the README are published, not sources or tests.
    const listing = execFileSync('tar', ['-tzf', join(work, layers!)], { encoding: 'utf8' });
    expect(listing).toMatch(/package\/dist\/index\.d\.ts/);
    expect(listing).toMatch(/package\/dist\/index\.d\.cts/);
    expect(listing).toMatch(/package\/README\.md/);
    expect(listing).toMatch(/package\/LICENSE/);
    expect(listing).not.toMatch(/\.test\.|package\/src\/|\.map$/m);
  });
});
