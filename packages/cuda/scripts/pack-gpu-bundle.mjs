#!/usr/bin/env node
/**
 * Packs what scripts/gpu-check.sh needs on a CUDA machine without Node.js or internet into ONE
 * folder, packages/cuda/build/gpu/ (git-ignored; carry it with the run):
 *   node.xz          this Node binary (xz -T2 -6)
 *   modules.tar.xz   the node_modules subset the GPU run uses (vitest and its dependencies, koffi,
 *                    with pnpm's symlinks), packages/tensor/dist and packages/cuda/dist (the
 *                    backend and the benchmarks, built here)
 *   SHA256SUMS
 * Run from anywhere after `pnpm --filter @alexnet/cuda build` (turbo builds @alexnet/tensor first).
 * Usage: node packages/cuda/scripts/pack-gpu-bundle.mjs   (prints the sizes; fails above 60 MiB)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '..', '..');
const outDir = join(pkg, 'build', 'gpu');
mkdirSync(outDir, { recursive: true });

for (const need of [
  'packages/tensor/dist/testing/vitest.js',
  'packages/cuda/dist/index.js',
  'packages/cuda/dist/bench/alexnet.js',
]) {
  if (!existsSync(join(root, need))) {
    console.error(
      `pack-gpu-bundle: ${need} is missing: build first (pnpm turbo run build --filter @alexnet/cuda...)`,
    );
    process.exit(1);
  }
}

// The packages a GPU run imports, and everything they depend on (pnpm: a package's dependencies
// are the siblings in its .pnpm/<name@version>/node_modules folder).
const entries = [
  'packages/cuda/node_modules/vitest',
  'packages/cuda/node_modules/koffi',
  'packages/tensor/node_modules/vitest',
];
const pnpmDirs = new Set();
const seen = new Set();
const stack = entries.map((e) => join(root, e));
while (stack.length > 0) {
  const p = stack.pop();
  let real;
  try {
    real = realpathSync(p);
  } catch {
    continue;
  }
  if (seen.has(real)) continue;
  seen.add(real);
  const m = real.match(/^(.*\/node_modules\/\.pnpm\/[^/]+)\/node_modules\//);
  if (!m) continue;
  pnpmDirs.add(m[1]);
  const modules = join(m[1], 'node_modules');
  for (const e of readdirSync(modules)) {
    if (e.startsWith('.')) continue;
    if (e.startsWith('@')) for (const s of readdirSync(join(modules, e))) stack.push(join(modules, e, s));
    else stack.push(join(modules, e));
  }
}
// Optional native binaries for other platforms are not installed; nothing else is skipped.
const paths = [
  ...[...pnpmDirs].map((d) => relative(root, d)),
  ...entries,
  'packages/cuda/node_modules/@alexnet/tensor',
  'packages/tensor/dist',
  'packages/cuda/dist',
].sort();
writeFileSync(join(outDir, 'modules.list'), `${paths.join('\n')}\n`);
console.log(`${pnpmDirs.size} pnpm packages + ${paths.length - pnpmDirs.size} workspace paths`);

execFileSync('tar', ['-C', root, '-cf', join(outDir, 'modules.tar'), '-T', join(outDir, 'modules.list')], {
  stdio: 'inherit',
});
execFileSync('xz', ['-T2', '-6', '-f', join(outDir, 'modules.tar')], { stdio: 'inherit' });

const nodeXz = join(outDir, 'node.xz');
const nodeVersionFile = join(outDir, 'node.version');
const version = `${process.version} ${process.execPath} ${statSync(process.execPath).size}`;
if (
  !existsSync(nodeXz) ||
  !existsSync(nodeVersionFile) ||
  readFileSync(nodeVersionFile, 'utf8') !== version
) {
  execFileSync('sh', ['-c', `xz -T2 -6 -c "${process.execPath}" > "${nodeXz}"`], { stdio: 'inherit' });
  writeFileSync(nodeVersionFile, version);
}

const sums = ['node.xz', 'modules.tar.xz']
  .map(
    (f) =>
      `${createHash('sha256')
        .update(readFileSync(join(outDir, f)))
        .digest('hex')}  ${f}`,
  )
  .join('\n');
writeFileSync(join(outDir, 'SHA256SUMS'), `${sums}\n`);
let total = 0;
for (const f of readdirSync(outDir)) {
  const s = lstatSync(join(outDir, f)).size;
  total += s;
  console.log(`${(s / 2 ** 20).toFixed(1).padStart(6)} MiB  packages/cuda/build/gpu/${f}`);
}
console.log(`${(total / 2 ** 20).toFixed(1).padStart(6)} MiB  total (the run tool carries at most 64 MiB)`);
if (total > 60 * 2 ** 20) process.exit(1);
