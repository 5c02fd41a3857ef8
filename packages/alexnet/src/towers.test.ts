/**
 * The paper's two towers on two devices compute the same network as both towers on one device (as
 * channel groups): with one seed both draw the same weights, and a training step gives the same
 * loss, probabilities and gradients. Runs on native:0 + native:1 when @alexnet/native is built
 * (AlexNet's forward takes ~40 ms there), else on two reference devices (~2 s per image forward).
 */
import type { Net } from '@alexnet/layers';
import { type BackendV1, Device, ReferenceBackend } from '@alexnet/tensor';
import { relativeError, runSeed, TestData } from '@alexnet/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createAlexNet } from './network.js';

const SEED = runSeed();

/**
 * Two native devices — synchronous with every core each, or queued with one thread each (the towers
 * then compute at the same time, as the provider sets them up) — or two reference devices and the
 * reason native is not used.
 */
async function twoDevices(queued: boolean): Promise<{ devices: [Device, Device]; note: string }> {
  try {
    const native = (await import('@alexnet/native')) as {
      nativeUnavailableReason(): string | null;
      NativeBackend: new (o: { index: number; asynchronous?: boolean; threads?: number }) => BackendV1;
    };
    const why = native.nativeUnavailableReason();
    if (why === null) {
      const options = (index: number) => (queued ? { index, asynchronous: true, threads: 1 } : { index });
      return {
        devices: [
          new Device(new native.NativeBackend(options(0))),
          new Device(new native.NativeBackend(options(1))),
        ],
        note: `native:0 + native:1${queued ? ', queued' : ''}`,
      };
    }
    return fallback(why);
  } catch (error) {
    return fallback(`@alexnet/native failed to load: ${(error as Error).message}`);
  }
}

function fallback(why: string): { devices: [Device, Device]; note: string } {
  console.warn(`towers test: ${why} — using two reference devices (slow: ~2 s per AlexNet forward)`);
  return {
    devices: [new Device(new ReferenceBackend({ index: 0 })), new Device(new ReferenceBackend({ index: 1 }))],
    note: 'ref:0 + ref:1',
  };
}

/** Each one-device parameter is the towers' parameters stacked along output channels (tower 0 first). */
const LAYERS = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc6', 'fc7'];
function towerParts(name: string): string[] {
  const [layer, role] = name.split('.');
  return LAYERS.includes(layer!) ? [`${layer}_0.${role}`, `${layer}_1.${role}`] : [name];
}

async function values(net: Net, what: 'value' | 'grad'): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const p of net.params()) out.set(p.name, await p[what].toArray());
  return out;
}

function stacked(values: Map<string, Float32Array>, names: string[]): Float32Array {
  const parts = names.map((n) => values.get(n)!);
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Index of the first element that differs (or -1); toEqual on 38 M elements would take minutes. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const nets: Net[] = [];
afterAll(() => {
  for (const net of nets) net.dispose();
});

describe('two towers on two devices = one device with groups', () => {
  it('draws the same weights from one seed and gives the same loss and gradients (batch 1, dropout on)', async () => {
    await checkTowers(await twoDevices(false));
  }, 180_000);

  it('the same with queued devices, whose towers compute at the same time', async (ctx) => {
    const pair = await twoDevices(true);
    if (pair.note.startsWith('ref')) ctx.skip('no native library: queued devices are a native feature');
    await checkTowers(pair);
  }, 180_000);
});

async function checkTowers({ devices, note }: { devices: [Device, Device]; note: string }): Promise<void> {
  {
    const seed = SEED % 2 ** 32;
    const label = `(${note}, seed ${SEED})`;
    const one = createAlexNet({ seed }, { devices: devices[0] });
    nets.push(one);
    const two = createAlexNet({ seed }, { devices });
    nets.push(two);
    expect(two.devices.map((d) => d.name)).toEqual(devices.map((d) => d.name));

    // the same initial network, bit for bit
    const w1 = await values(one, 'value');
    const w2 = await values(two, 'value');
    for (const [name, w] of w1)
      expect(firstDifference(stacked(w2, towerParts(name)), w), `${name} ${label}`).toBe(-1);
    // the paper's init: weights N(0, 0.01²), biases 1 on conv2, conv4, conv5, fc6, fc7, 0 elsewhere
    for (const [name, w] of w1) {
      const [layer, role] = name.split('.') as [string, string];
      if (role === 'bias') {
        const one = ['conv2', 'conv4', 'conv5', 'fc6', 'fc7'].includes(layer);
        expect(
          w.every((v) => v === (one ? 1 : 0)),
          name,
        ).toBe(true);
        continue;
      }
      let sum = 0;
      let squares = 0;
      for (const v of w) {
        sum += v;
        squares += v * v;
      }
      const mean = sum / w.length;
      expect(Math.abs(mean), `${name} mean`).toBeLessThan(5 * (0.01 / Math.sqrt(w.length)) + 1e-9);
      expect(Math.sqrt(squares / w.length - mean * mean) / 0.01, `${name} std`).toBeCloseTo(1, 1);
    }

    // one training step on one random image: dropout masks coincide at batch 1 (see DIFFERENCES.md)
    const data = new TestData(SEED);
    const batch = { data: data.random(3 * 224 * 224, 1), labels: data.labels(1, 1000) };
    const step = async (net: Net) => {
      net.zeroGrads();
      await net.forward(batch, { training: true });
      await net.backward();
      return {
        loss: await net.loss(),
        probs: await net.read('loss:probs'),
        grads: await values(net, 'grad'),
      };
    };
    const a = await step(one);
    const b = await step(two);
    expect(Number.isFinite(a.loss), label).toBe(true);
    expect(
      relativeError(Float32Array.of(b.loss), Float32Array.of(a.loss)),
      `loss ${label}`,
    ).toBeLessThanOrEqual(1e-5);
    expect(relativeError(b.probs, a.probs), `probs ${label}`).toBeLessThanOrEqual(1e-5);
    for (const [name, g] of a.grads) {
      expect(
        g.some((v) => v !== 0),
        `${name} has a gradient`,
      ).toBe(true);
      expect(
        relativeError(stacked(b.grads, towerParts(name)), g),
        `${name} gradient ${label}`,
      ).toBeLessThanOrEqual(1e-5);
    }

    // inference on two images: no dropout, the same probabilities
    const pair = { data: data.random(2 * 3 * 224 * 224, 1), labels: data.labels(2, 1000) };
    await one.forward(pair);
    await two.forward(pair);
    expect(
      relativeError(await two.read('loss:probs'), await one.read('loss:probs')),
      label,
    ).toBeLessThanOrEqual(1e-5);
  }
}
