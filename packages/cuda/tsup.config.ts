import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: false,
    external: ['koffi', '@alexnet/tensor'],
  },
  {
    // The GPU benchmarks, run as plain JS by scripts/gpu-check.sh on a machine without a toolchain.
    // The workspace packages are bundled in (tree-shaken), so only koffi must be carried there.
    entry: {
      'bench/kernels': 'bench/kernels.ts',
      'bench/alexnet': 'bench/alexnet.ts',
      'bench/summary': 'bench/summary.ts',
    },
    format: ['esm'],
    dts: false,
    sourcemap: false,
    clean: false,
    target: 'node20',
    splitting: false,
    external: ['koffi'],
    noExternal: [/^@alexnet\//],
  },
]);
