import { conformanceSuite } from '@alexnet/tensor/testing/vitest';
import { NativeBackend } from './backend.js';

// The whole suite (odd shapes and AlexNet's real layer shapes) on the SIMD path this CPU selects.
// Batch 2 so the convolutions' image chunking (several images per GEMM) runs on the real shapes too.
conformanceSuite({ name: 'native (best SIMD path)', create: () => new NativeBackend(), batch: 2 });
