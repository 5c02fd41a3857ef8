import { defineConfig } from 'tsup';

export default defineConfig({
  // The worker-thread entries are built beside index.js/.cjs: the pools start them by file name.
  entry: {
    index: 'src/index.ts',
    'prepare-worker': 'src/prepare-worker.ts',
    'loader-worker': 'src/loader-worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  // import.meta.url in the CommonJS build (the pools find their worker files from it).
  shims: true,
});
