import { conformanceSuite } from '@alexnet/tensor/testing/vitest';
import { NativeBackend } from './backend.js';

// The other GEMM micro-kernels run on other CPUs; force this one (the choice is per process, and
// vitest runs each test file in its own process) and run the odd shapes through it. The AlexNet
// shapes add only size, which the best-path suite covers.
conformanceSuite({
  name: 'native (avx2 micro-kernel)',
  create: () => new NativeBackend({ simd: 'avx2' }),
  shapes: ['odd'],
});
