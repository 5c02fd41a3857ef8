import { defineConfig } from 'tsup';

export default defineConfig({
  // the library (index), its browser-safe part (browser: no fs, no sharp) and the `alexnet`
  // executable (cli, keeps its #! line); declarations for the two libraries
  entry: { index: 'src/index.ts', browser: 'src/browser/index.ts', cli: 'src/cli/bin.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', browser: 'src/browser/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  // tsup keeps `dependencies` external but would bundle the optional @alexnet/native: it must stay a
  // runtime import (its C library is found relative to its own files)
  external: ['@alexnet/native'],
});
