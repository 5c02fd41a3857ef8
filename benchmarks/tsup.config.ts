import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    'kernels/reference-kernels': 'src/kernels/reference-kernels.ts',
    'ceiling/gemm-ceiling': 'src/ceiling/gemm-ceiling.ts',
    'peers/peers': 'src/peers/peers.ts',
  },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
});
