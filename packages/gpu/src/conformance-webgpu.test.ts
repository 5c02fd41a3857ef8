import { conformanceSuite } from '@alexnet/tensor/testing/vitest';
import { describe, it } from 'vitest';
import { createGpuBackend } from './backend.js';
import { installWebGpu, WEBGPU_MODULE } from './webgpu-test-support.js';

// gpu.js webgpu mode through Dawn in Node: only where scripts/modes.sh set it up (results: MODES.md).
if (WEBGPU_MODULE) {
  conformanceSuite({
    name: 'gpu.js webgpu mode (Dawn in Node)',
    create: async () => {
      await installWebGpu();
      return createGpuBackend({ mode: 'webgpu' });
    },
    shapes: process.env.ALEXNET_GPU_FULL === '1' ? ['odd', 'alexnet'] : ['odd'],
  });
} else {
  describe('conformance: gpu.js webgpu mode (Dawn in Node)', () => {
    it.skip('skipped: needs the webgpu package and a Vulkan driver; scripts/modes.sh sets ALEXNET_GPU_WEBGPU_MODULE', () => {});
  });
}
