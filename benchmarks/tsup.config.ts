import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { 'kernels/reference-kernels': 'src/kernels/reference-kernels.ts' },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
});
