import { conformanceSuite } from '@alexnet/tensor/testing/vitest';
import { describe, it } from 'vitest';
import { STUB_NAME, useStubDriver } from '../test/stub.js';
import { CudaBackend } from './backend.js';

// The conformance suite's odd shapes through the stub driver: the CUDA C kernels compiled for the
// CPU (kernel emulator) and launched through the real koffi → cuLaunchKernel plumbing. This proves
// the plumbing and the kernels' index arithmetic only; the GPU run is src/conformance.test.ts.
const skip = useStubDriver();

if (skip) {
  console.warn(`conformance through the ${STUB_NAME}: SKIPPED — ${skip}`);
  describe.skip(`conformance through the ${STUB_NAME}`, () => {
    it.skip(`skipped: ${skip}`, () => {});
  });
} else {
  conformanceSuite({ name: `cuda:0 (${STUB_NAME})`, create: () => new CudaBackend(), shapes: ['odd'] });
}
