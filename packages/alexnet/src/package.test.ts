/**
 * The package as users get it: the README's example runs as written (importing 'alexnet' by name,
 * which resolves to this package's built dist/ through its `exports`), and `pnpm pack` publishes the
 * built files, README, DIFFERENCES and LICENSE with the workspace versions filled in — not sources or tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'alexnet-pack-'));
const example = join(pkgDir, `.readme-example-${process.pid}.mjs`);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(example, { force: true });
});

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

describe('alexnet as a package', () => {
  it('runs the README example as written', () => {
    expect(existsSync(join(pkgDir, 'dist/index.js')), 'run the build first (pnpm build)').toBe(true);
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const code = /<!-- example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'README example block').toBeDefined();
    writeFileSync(example, code!);
    const printed = execFileSync(process.execPath, [example], { cwd: pkgDir, encoding: 'utf8' });
    expect(printed).toMatch(/^auto picked (native|ref|cuda|gpu):0/m);
    expect(printed).toMatch(/^parameters: 60,965,224$/m);
    expect(printed).toMatch(/^forward: \d+ ms on (native|ref|cuda|gpu):0$/m);
    expect(printed).toMatch(/^top-5 classes: \d+, \d+, \d+, \d+, \d+$/m);
  }, 120_000);

  it('packs the built files with versions instead of workspace:*', () => {
    pnpm(['pack', '--pack-destination', work], pkgDir);
    const tarball = readdirSync(work).find((f) => /^alexnet-\d.*\.tgz$/.test(f));
    expect(tarball).toBeDefined();
    const file = join(work, tarball!);
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' }),
    ) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(manifest.dependencies['@alexnet/layers']).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.dependencies['@alexnet/tensor']).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.optionalDependencies['@alexnet/native']).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.bin).toEqual({ alexnet: './dist/cli.js' });
    const listing = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' });
    for (const f of [
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
      'dist/cli.js',
      'README.md',
      'DIFFERENCES.md',
      'LICENSE',
    ])
      expect(listing).toContain(`package/${f}\n`);
    expect(listing).not.toMatch(/\.test\.|package\/src\/|\.map$/m);
  }, 60_000);
});
