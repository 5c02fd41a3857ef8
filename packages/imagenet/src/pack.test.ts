/**
 * Users install packages one by one: pack @alexnet/imagenet (and the @alexnet/tensor and
 * @alexnet/augment it depends on) as npm would publish them, unpack the tarballs into an empty
 * app's node_modules, import from ESM and CommonJS (worker threads included: they are separate
 * files in dist/), and run the README's example as written. sharp is linked from this workspace
 * instead of installed from the registry: tests never need the network. Needs the built dist/
 * folders (turbo's test task depends on build).
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeJpeg } from './test-helpers.js';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const deps = { tensor: join(pkgDir, '../tensor'), augment: join(pkgDir, '../augment'), imagenet: pkgDir };
const work = mkdtempSync(join(tmpdir(), 'alexnet-imagenet-pack-'));

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

describe('@alexnet/imagenet as an installed package', () => {
  it('packs, unpacks next to its dependencies, imports from ESM and CommonJS (workers too) and runs the README example', async () => {
    for (const [name, dir] of Object.entries(deps))
      expect(existsSync(join(dir, 'dist/index.js')), `build @alexnet/${name} first (pnpm build)`).toBe(true);
    for (const dir of Object.values(deps)) pnpm(['pack', '--pack-destination', work], dir);
    const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz'));
    const tarball = (name: string) => join(work, tarballs.find((f) => f.startsWith(`alexnet-${name}-`))!);
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', tarball('imagenet'), 'package/package.json'], { encoding: 'utf8' }),
    ) as { dependencies: Record<string, string> };
    // workspace:* became the versions they were packed with; sharp is a normal dependency
    expect(manifest.dependencies['@alexnet/tensor']).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.dependencies['@alexnet/augment']).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.dependencies.sharp).toMatch(/^\^0\.\d+/);
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      '@alexnet/augment',
      '@alexnet/tensor',
      'sharp',
    ]);

    // Only the built files and the README are published, the worker entries included.
    const listing = execFileSync('tar', ['-tzf', tarball('imagenet')], { encoding: 'utf8' });
    for (const f of [
      'index.js',
      'index.cjs',
      'index.d.ts',
      'index.d.cts',
      'loader-worker.js',
      'loader-worker.cjs',
      'prepare-worker.js',
      'prepare-worker.cjs',
    ])
      expect(listing).toContain(`package/dist/${f}`);
    expect(listing).toMatch(/package\/README\.md/);
    expect(listing).toMatch(/package\/LICENSE/);
    expect(listing).not.toMatch(/\.test\.|package\/src\/|package\/scripts\/|\.map$/m);

    const app = join(work, 'app');
    const modules = join(app, 'node_modules');
    mkdirSync(join(modules, '@alexnet'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    for (const name of Object.keys(deps)) {
      const into = join(work, `unpack-${name}`);
      mkdirSync(into);
      execFileSync('tar', ['-xzf', tarball(name), '-C', into]);
      renameSync(join(into, 'package'), join(modules, '@alexnet', name));
    }
    // sharp's real folder in the pnpm store, where its own dependencies (@img/*) sit beside it
    const sharpDir = realpathSync(
      dirname(dirname(createRequire(join(pkgDir, 'package.json')).resolve('sharp'))),
    );
    expect(JSON.parse(readFileSync(join(sharpDir, 'package.json'), 'utf8')).name).toBe('sharp');
    symlinkSync(sharpDir, join(modules, 'sharp'), 'dir');

    // A small ILSVRC-style dataset with one undecodable file.
    const data = join(app, 'data');
    for (const [i, f] of [
      'train/n01/a.JPEG',
      'train/n01/b.JPEG',
      'train/n02/c.JPEG',
      'train/n02/d.JPEG',
      'val/n01/e.JPEG',
      'val/n02/f.JPEG',
    ].entries())
      await writeJpeg(join(data, f), 40 + i, 30, i);
    writeFileSync(join(data, 'train/n02/broken.JPEG'), 'not an image');
    writeFileSync(join(data, 'classes.tsv'), 'n01\tfirst class\nn02\tsecond class\n');

    const check = (cacheName: string) => `
      (async () => {
        const r = await I.prepareImageFolder({ root: 'data', outDir: '${cacheName}', size: 40, workers: 1 });
        const s = await I.openImageNetCache('${cacheName}', { crop: 32, workers: 1 });
        let floats = 0;
        for await (const b of s.train.batches({ batchSize: 2, mode: 'train', seed: 1, epoch: 0 })) floats += b.images.length;
        await s.close();
        console.log(JSON.stringify({ accepted: r.accepted, skipped: r.skipped.length, floats, classes: s.classes }));
      })();`;
    writeFileSync(join(app, 'esm.mjs'), `import * as I from '@alexnet/imagenet';${check('cache-esm')}`);
    writeFileSync(join(app, 'cjs.cjs'), `const I = require('@alexnet/imagenet');${check('cache-cjs')}`);
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const out = JSON.parse(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }));
      expect(out, file).toEqual({
        accepted: 6,
        skipped: 1,
        floats: 4 * 3 * 32 * 32,
        classes: ['first class', 'second class'],
      });
    }

    // The README's example runs as written against the installed package.
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const example = /<!-- example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'README example block').toBeDefined();
    writeFileSync(join(app, 'readme.mjs'), example!);
    const printed = execFileSync(process.execPath, ['readme.mjs', 'data', 'cache-readme'], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(printed).toMatch(/^train: 5 images, \d+\/s$/m);
    expect(printed).toMatch(/^cached 6 of 7 images; skipped 1$/m);
    expect(printed).toMatch(/^ {2}skipped train\/n02\/broken\.JPEG: not a decodable image/m);
    expect(printed).toMatch(/^mean RGB [\d.]+ [\d.]+ [\d.]+$/m);
    expect(printed).toMatch(/^2 classes; 4 train and 2 val images$/m);
    expect(printed).toMatch(/^batch of 4 → 602112 floats, labels \[ [01], [01], [01], [01] \]$/m);
  });
});
