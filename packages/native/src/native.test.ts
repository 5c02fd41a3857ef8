import {
  Device,
  getDevice,
  philoxU32,
  registerBackend,
  selectDevice,
  Tensor,
  transfer,
} from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { NativeBackend } from './backend.js';
import { loadLibrary, nativeUnavailableReason } from './library.js';
import { backendProvider } from './provider.js';

describe('@alexnet/native', () => {
  it('loads its C library and picks a SIMD path from the CPU', () => {
    expect(nativeUnavailableReason()).toBeNull();
    const b = new NativeBackend({ threads: 2 });
    expect(['avx512', 'avx2', 'generic']).toContain(b.simdPath);
    expect(b.threads).toBe(2);
    expect(b.capabilities.description).toMatch(
      /native CPU backend \(C, (avx512|avx2|generic) GEMM, 2 threads\)/,
    );
    b.dispose();
  });

  it('draws the same Philox stream as the TypeScript generator', () => {
    const lib = loadLibrary();
    if (typeof lib === 'string') throw new Error(lib);
    for (const [seed, offset] of [
      [0, 0],
      [42, 7],
      [2 ** 40 + 5, 2 ** 34 + 3],
    ] as const) {
      const ts = philoxU32(seed, offset, new Uint32Array(9));
      const c = Array.from({ length: 9 }, (_, i) => lib.philoxU32(seed, offset + i) as number);
      expect(c).toEqual([...ts]);
    }
  });

  it('rejects a SIMD path the CPU cannot run, and bad options, with the value', () => {
    expect(() => new NativeBackend({ threads: 0 })).toThrow(
      'native backend: threads must be an integer >= 1, got 0',
    );
    expect(() => new NativeBackend({ index: -1 })).toThrow(/index must be an integer >= 0/);
  });

  it('reports a bad label from C as a clear error', () => {
    const d = new Device(new NativeBackend({ threads: 1 }));
    const logits = Tensor.full(d, [2, 3], 0.5);
    const labels = Tensor.fromArray(d, [2], [0, 7]);
    const loss = Tensor.empty(d, [2]);
    const dl = Tensor.empty(d, [2, 3]);
    expect(() =>
      d.kernels.softmaxCrossEntropy(
        { logits: logits.buffer, labels: labels.buffer, loss: loss.buffer, dlogits: dl.buffer },
        { n: 2, classes: 3, gradScale: 0.5 },
      ),
    ).toThrow('label 7 of example 1 is not a class index in [0, 3)');
  });

  it('is found by name and by auto selection once registered, and peer-copies between its devices', async () => {
    registerBackend(backendProvider);
    const messages: string[] = [];
    const sel = await selectDevice('auto', { log: (m) => messages.push(m) });
    expect(sel.device.kind).toBe('native');
    expect(messages[0]).toMatch(/^auto picked native:0: native CPU backend/);
    const d1 = await getDevice('native:1');
    const t = Tensor.fromArray(sel.device, [3], [1, 2, 3]);
    const u = Tensor.empty(d1, [3]);
    expect(await transfer(sel.device, t.buffer, d1, u.buffer)).toBe('peer');
    expect([...(await u.toArray())]).toEqual([1, 2, 3]);
  });
});
