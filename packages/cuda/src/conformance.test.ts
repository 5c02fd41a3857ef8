import { conformanceSuite } from '@alexnet/tensor/testing/vitest';
import { describe, it } from 'vitest';
import { NO_GPU_MESSAGE, realGpu } from '../test/gpu.js';
import { CudaBackend } from './backend.js';

// The whole suite (odd shapes and AlexNet's real layer shapes, batch 2) on a real GPU, in plain
// float32 (the default) and with the TF32 tensor-core GEMM. Without a GPU it skips, visibly.
const gpu = realGpu();

if ('reason' in gpu) {
  // Printed so the skip is visible in the default reporter's output, not only in verbose mode.
  console.warn(`conformance (cuda): SKIPPED — ${NO_GPU_MESSAGE} (${gpu.reason})`);
  describe.skip(`conformance: cuda — ${NO_GPU_MESSAGE}`, () => {
    it.skip(`skipped: ${gpu.reason}`, () => {});
  });
} else {
  conformanceSuite({ name: 'cuda:0 (float32)', create: () => new CudaBackend(), batch: 2 });
  // TF32 rounds GEMM inputs to a 10-bit mantissa: products carry ~2⁻¹¹ relative error each.
  const tf32 = { relError: 5e-3, reason: 'TF32 tensor cores round GEMM inputs to 10 mantissa bits' };
  conformanceSuite({
    name: 'cuda:0 (TF32)',
    create: () => new CudaBackend({ tf32: true }),
    shapes: ['odd'],
    tolerances: { gemm: tf32, conv2dForward: tf32, conv2dBackwardData: tf32, conv2dBackwardFilter: tf32 },
  });
}
