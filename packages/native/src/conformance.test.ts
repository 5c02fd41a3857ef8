import { conformanceSuite } from '@alexnet/tensor/testing/vitest';
import { NativeBackend } from './backend.js';

// The whole suite (odd shapes and AlexNet's real layer shapes) on the SIMD path this CPU selects.
conformanceSuite({ name: 'native (best SIMD path)', create: () => new NativeBackend() });
