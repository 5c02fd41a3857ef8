import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: false, // scripts/build-native.mjs writes dist/native/ beside the bundles
  target: 'node20',
  splitting: false,
  external: ['koffi', '@alexnet/tensor'],
});
