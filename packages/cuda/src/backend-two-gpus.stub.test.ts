import { describe, expect, it } from 'vitest';
import { STUB_NAME, useStubDriver } from '../test/stub.js';
import { CudaBackend } from './backend.js';
import { backendProvider } from './provider.js';

// Two (stub) GPUs: cuda:N is GPU N, with its own context, and peer copies use cuMemcpyPeerAsync.
const skip = useStubDriver({ STUB_DEVICES: '2' });

describe.skipIf(skip !== null)(`two GPUs (${STUB_NAME})`, () => {
  it('maps cuda:0 and cuda:1 to GPUs 0 and 1 and copies between them', async () => {
    const p = backendProvider.probe() as { devices: number; detail: string };
    expect(p.devices).toBe(2);
    expect(p.detail).toMatch(/^STUB DRIVER.*2 × Stub GPU 0/);
    const a = new CudaBackend({ index: 0 });
    const b = new CudaBackend({ index: 1 });
    try {
      expect(a.gpu.ordinal).toBe(0);
      expect(b.gpu.ordinal).toBe(1);
      expect(b.capabilities.description).toMatch(/Stub GPU 1 .*GPU 1,/);
      const x = a.alloc(16);
      const y = b.alloc(16);
      const v = Float32Array.from({ length: 16 }, (_, i) => i * 0.5 - 3.25);
      a.write(x, v);
      b.fill(y, 9);
      b.peerCopy(x, a, y);
      expect(await b.read(y)).toEqual(v);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

if (skip) describe.skip(`two GPUs (${STUB_NAME}): ${skip}`, () => {});
