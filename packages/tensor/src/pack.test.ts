/**
 * Users install packages one by one: pack @alexnet/tensor as npm would publish it, install the
 * tarball into an empty folder, and import it from both ESM and CommonJS (main and /testing).
 * Needs the built dist/ (turbo's test task depends on build).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'alexnet-pack-'));

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

describe('@alexnet/tensor as an installed package', () => {
  it('packs, installs into an empty folder and imports from ESM and CommonJS', () => {
    expect(existsSync(join(pkgDir, 'dist/index.js')), 'run the build first (pnpm build)').toBe(true);
    pnpm(['pack', '--pack-destination', work], pkgDir);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();

    const app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(work, tarball!)], {
      cwd: app,
      encoding: 'utf8',
    });

    const check = `
      const b = new T.ReferenceBackend();
      const d = new T.Device(b);
      const t = T.Tensor.fromArray(d, [2], [3, -4]);
      d.kernels.relu({ x: t.buffer, y: t.buffer }, { length: 2 });
      const cases = K.oddCases().length;
      t.toArray().then((v) => console.log(JSON.stringify({ v: [...v], cases, names: T.KERNEL_NAMES_V1.length })));`;
    writeFileSync(
      join(app, 'esm.mjs'),
      `import * as T from '@alexnet/tensor'; import * as K from '@alexnet/tensor/testing';${check}`,
    );
    writeFileSync(
      join(app, 'cjs.cjs'),
      `const T = require('@alexnet/tensor'); const K = require('@alexnet/tensor/testing');${check}`,
    );
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const out = JSON.parse(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }));
      expect(out.v, file).toEqual([3, 0]);
      expect(out.cases, file).toBeGreaterThan(50);
      expect(out.names, file).toBe(22);
    }
    // The README's example runs as written against the installed package.
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const example = /<!-- example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'README example block').toBeDefined();
    writeFileSync(join(app, 'readme.mjs'), example!);
    const printed = execFileSync(process.execPath, ['readme.mjs'], { cwd: app, encoding: 'utf8' });
    expect(printed).toMatch(/^conv: \[ 2\.5, 4\.5, 10\.5, 12\.5 \]$/m);
    expect(printed).toMatch(/^mask: \[(?:\s*[02],?)+\s*\]$/m);
    expect(printed).toMatch(/^init: 4 values; rng state \{ seed: 7, offset: 4 \}$/m);

    // Only the built files and the README are published, not sources or tests.
    const listing = execFileSync('tar', ['-tzf', join(work, tarball!)], { encoding: 'utf8' });
    expect(listing).toMatch(/package\/dist\/index\.d\.ts/);
    expect(listing).toMatch(/package\/dist\/index\.d\.cts/);
    expect(listing).toMatch(/package\/README\.md/);
    expect(listing).not.toMatch(/\.test\.|package\/src\//);
  });
});
