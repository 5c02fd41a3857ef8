import { defineConfig } from 'tsup';

export default defineConfig({
  // the library (index) and the `alexnet` executable (cli, keeps its #! line); declarations for the library
  entry: { index: 'src/index.ts', cli: 'src/cli/bin.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  // tsup keeps `dependencies` external but would bundle the optional @alexnet/native: it must stay a
  // runtime import (its C library is found relative to its own files)
  external: ['@alexnet/native'],
});
