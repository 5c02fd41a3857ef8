import { defineConfig } from 'tsup';

// A private, runnable example: one ESM entry point, no type declarations.
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  banner: { js: '#!/usr/bin/env node' },
});
