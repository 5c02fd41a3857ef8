import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    'kernels/reference-kernels': 'src/kernels/reference-kernels.ts',
    'ceiling/gemm-ceiling': 'src/ceiling/gemm-ceiling.ts',
    'peers/peers': 'src/peers/peers.ts',
    'end-to-end/end-to-end': 'src/end-to-end/end-to-end.ts',
    'end-to-end/paired': 'src/end-to-end/paired.ts',
    'data/data-pipeline': 'src/data/data-pipeline.ts',
    'ablations/relu-vs-tanh': 'src/ablations/relu-vs-tanh.ts',
    'ablations/compare': 'src/ablations/compare.ts',
  },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
});
