import { describe, expect, it } from 'vitest';
import { DeviceError } from '../errors.js';
import { ReferenceBackend } from '../reference/backend.js';
import { Tensor } from '../tensor.js';
import { Device } from './device.js';
import { parseDeviceName } from './name.js';
import { getDevice, loadBackendPackage, registerBackend, selectDevice } from './registry.js';
import { transfer } from './transfer.js';

describe('device names', () => {
  it.each([
    ['ref:0', 'ref', 0],
    ['native:1', 'native', 1],
    ['cuda:3', 'cuda', 3],
    ['native', 'native', 0],
  ])('parses %s', (name, kind, index) => {
    expect(parseDeviceName(name)).toEqual({ kind, index });
  });

  it.each(['', 'cuda:', 'cuda:-1', 'CUDA:0', 'cuda:0:1', 'gpu 0'])(
    'rejects %j with the expected form',
    (name) => {
      expect(() => parseDeviceName(name)).toThrow(DeviceError);
      expect(() => parseDeviceName(name)).toThrow(/expected '<backend>:<index>'/);
    },
  );
});

describe('device registry', () => {
  it('gives the same device object for the same name', async () => {
    const a = await getDevice('ref:0');
    expect(await getDevice('ref')).toBe(a);
    expect(a.describe()).toMatch(/^ref:0: reference backend \(plain TypeScript, float32/);
  });

  it('says clearly when a backend package is not installed', async () => {
    // (not with @alexnet/cuda: it is a workspace package, resolvable once built — a race in CI)
    expect(await loadBackendPackage('@alexnet/no-such-backend')).toBe(
      '@alexnet/no-such-backend is not installed',
    );
    await expect(getDevice('tpu:0')).rejects.toThrow("no backend package is known for 'tpu'");
  });

  it("'auto' falls back to the reference backend with a visible warning naming what it tried", async () => {
    const messages: string[] = [];
    // discover: false keeps this independent of which backend packages the workspace happens to hold.
    const sel = await selectDevice('auto', { discover: false, log: (m) => messages.push(m) });
    expect(sel.device.kind).toBe('ref');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^warning: auto picked ref:0/);
    expect(messages[0]).toMatch(/native: @alexnet\/native is not registered/);
  });

  it("'auto' picks the highest-priority available backend, and skips unavailable ones", async () => {
    registerBackend({
      kind: 'fake',
      priority: 50,
      probe: () => ({ available: false, devices: 0, detail: 'no fake hardware' }),
      create: () => new ReferenceBackend(),
    });
    registerBackend({
      kind: 'fast',
      priority: 40,
      probe: () => ({ available: true, devices: 2, detail: 'two fast devices' }),
      create: (i) => fastBackend(i),
    });
    const messages: string[] = [];
    const sel = await selectDevice('auto', { discover: false, log: (m) => messages.push(m) });
    expect(sel.device.name).toBe('fast:0');
    expect(sel.reason).toMatch(/fake: no fake hardware/);
    expect(messages[0]).not.toMatch(/warning/);
    await expect(getDevice('fast:2')).rejects.toThrow('device fast:2 does not exist: fast has 2 device(s)');
    await expect(getDevice('fake:0')).rejects.toThrow('device fake:0 is not available: no fake hardware');
  });
});

/** A reference backend posing as another kind (for registry tests). */
function fastBackend(index: number): ReferenceBackend {
  const b = new ReferenceBackend({ index });
  Object.defineProperty(b, 'kind', { value: 'fast' });
  Object.defineProperty(b, 'device', { value: `fast:${index}` });
  return b;
}

describe('tensors and transfers', () => {
  const d0 = new Device(new ReferenceBackend({ index: 0 }));
  const d1 = new Device(new ReferenceBackend({ index: 1 }));

  it('round-trips data and checks sizes', async () => {
    const t = Tensor.fromArray(d0, [2, 3], [1, 2, 3, 4, 5, 6]);
    expect(t.size).toBe(6);
    expect([...(await t.toArray())]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => Tensor.fromArray(d0, [2, 3], [1, 2])).toThrow('shape [2, 3] has 6 elements, data has 2');
    expect(() => t.reshape([4, 2])).toThrow('[2, 3] (6 elements) cannot become [4, 2] (8)');
    expect(() => Tensor.empty(d0, [2, -1])).toThrow(/invalid extent -1/);
  });

  it('reshape shares the buffer; dispose frees it once and later use throws', async () => {
    const before = d0.backend.memory().liveBuffers;
    const t = Tensor.full(d0, [4], 2.5);
    const v = t.reshape([2, 2]);
    expect([...(await v.toArray())]).toEqual([2.5, 2.5, 2.5, 2.5]);
    t.dispose();
    expect(d0.backend.memory().liveBuffers).toBe(before);
    await expect(async () => t.toArray()).rejects.toThrow(/was disposed/);
  });

  it('moves tensors between devices by peer copy, and reports the path', async () => {
    const t = Tensor.fromArray(d0, [3], [7, 8, 9]);
    const u = await t.to(d1);
    expect(u.device).toBe(d1);
    expect([...(await u.toArray())]).toEqual([7, 8, 9]);
    const dst = d1.backend.alloc(5);
    d1.backend.fill(dst, -1);
    expect(await transfer(d0, t.buffer, d1, dst, { srcOffset: 1, dstOffset: 3, length: 2 })).toBe('peer');
    expect([...(await d1.backend.read(dst))]).toEqual([-1, -1, -1, 8, 9]);
  });

  it('stages through the host between devices of different kinds', async () => {
    const other = new Device(fastBackend(0));
    const t = Tensor.fromArray(d0, [2], [1.5, -2]);
    const dst = other.backend.alloc(2);
    expect(await transfer(d0, t.buffer, other, dst)).toBe('host');
    expect([...(await other.backend.read(dst))]).toEqual([1.5, -2]);
  });
});
