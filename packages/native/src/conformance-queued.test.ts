import { conformanceSuite } from '@alexnet/tensor/testing/vitest';
import { NativeBackend } from './backend.js';

// The odd shapes on a queued (asynchronous) device: kernels, writes, copies and frees go through its
// queue off the JS thread, and the suite reads results back with read(), which waits for it.
conformanceSuite({
  name: 'native (queued)',
  create: () => new NativeBackend({ asynchronous: true }),
  shapes: ['odd'],
});
