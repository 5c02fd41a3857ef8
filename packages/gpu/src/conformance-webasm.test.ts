import { conformanceSuite } from '@alexnet/tensor/testing/vitest';
import { cheapAlexnetSuite, FULL } from './alexnet-cheap-suite.js';
import { createGpuBackend } from './backend.js';

// Every kernel on the odd shapes (groups, strides, padding, every transpose, accumulate), at the
// suite's default tolerances. AlexNet shapes: see alexnet-cheap-suite.ts for what is skipped and why
// (ALEXNET_GPU_FULL=1 runs them all).
conformanceSuite({
  name: 'gpu.js webasm mode',
  create: () => createGpuBackend({ mode: 'webasm' }),
  shapes: FULL ? ['odd', 'alexnet'] : ['odd'],
});

if (!FULL) cheapAlexnetSuite('gpu.js webasm mode', () => createGpuBackend({ mode: 'webasm' }));
