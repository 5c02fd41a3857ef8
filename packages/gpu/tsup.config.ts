import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // Neutral, not node: the bundle must also work in a browser (examples/browser bundles it with esbuild).
  platform: 'neutral',
  target: 'es2022',
  splitting: false,
  external: ['gpu.js', '@alexnet/tensor', 'webgpu'],
});
