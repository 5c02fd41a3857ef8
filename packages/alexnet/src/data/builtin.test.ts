import { describe, expect, it } from 'vitest';
import { builtinShapes } from './builtin.js';
import { epochOrder } from './order.js';
import { drawShape, SHAPE_CLASSES, shapeLabel } from './shapes.js';
import type { BatchRequest, DataSplit, LabelledBatch } from './source.js';

async function collect(split: DataSplit, request: BatchRequest): Promise<LabelledBatch[]> {
  const out: LabelledBatch[] = [];
  for await (const b of split.batches(request)) out.push(b);
  return out;
}

describe('the built-in shapes', () => {
  it('draws each image as a pure function of (seed, split, index), different across indices, seeds and splits', () => {
    const draw = (seed: number, split: 'train' | 'val', index: number) => {
      const out = new Uint8Array(40 * 40 * 3).fill(7);
      const label = drawShape(seed, split, index, 40, out);
      return { label, out };
    };
    const a = draw(1, 'train', 5);
    expect(draw(1, 'train', 5).out).toEqual(a.out);
    expect(a.label).toBe(5);
    for (const other of [draw(1, 'train', 15), draw(2, 'train', 5), draw(1, 'val', 5)]) {
      expect(other.out).not.toEqual(a.out);
    }
    // a real picture: many distinct values, both dark and bright pixels somewhere
    expect(new Set(a.out).size).toBeGreaterThan(50);
  });

  it('has balanced labels: ten classes, each tenth of every run of ten indices', () => {
    expect(SHAPE_CLASSES).toHaveLength(10);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 1000; i++) counts[shapeLabel(i)]++;
    expect(counts).toEqual(new Array(10).fill(100));
  });

  it('orders an epoch as a permutation that depends on (seed, epoch) only', () => {
    const a = epochOrder(100, 3, 0);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(100).keys()]);
    expect(epochOrder(100, 3, 0)).toEqual(a);
    expect(epochOrder(100, 3, 1)).not.toEqual(a);
    expect(epochOrder(100, 4, 0)).not.toEqual(a);
    expect([...epochOrder(10, 3, 0, false)]).toEqual([...Array(10).keys()]);
  });

  it('yields training batches of random crops, deterministic for (seed, epoch), resumable at any batch', async () => {
    const data = builtinShapes({ input: 24, sourceSize: 32, trainSize: 50, valSize: 20 });
    expect(data.train.inputShape).toEqual([3, 24, 24]);
    const request = { batchSize: 16, mode: 'train', seed: 9, epoch: 2, dropLast: true } as const;
    const batches = await collect(data.train, request);
    expect(batches.map((b) => b.count)).toEqual([16, 16, 16]);
    for (const b of batches) {
      expect(b.images).toHaveLength(16 * 3 * 24 * 24);
      expect(b.images.every(Number.isFinite)).toBe(true);
      b.indices.forEach((index, i) => {
        expect(b.labels[i]).toBe(index % 10);
      });
    }
    const all = batches.flatMap((b) => [...b.indices]);
    expect(new Set(all).size).toBe(48);
    // mean subtracted: the pixels average near zero
    const flat = batches.flatMap((b) => [...b.images]);
    expect(Math.abs(flat.reduce((s, x) => s + x, 0) / flat.length)).toBeLessThan(20);
    const again = await collect(data.train, request);
    expect(again[1]!.images).toEqual(batches[1]!.images);
    const resumed = await collect(data.train, { ...request, startBatch: 2 });
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.images).toEqual(batches[2]!.images);
    const otherEpoch = await collect(data.train, { ...request, epoch: 3 });
    expect(otherEpoch[0]!.indices).not.toEqual(batches[0]!.indices);
  });

  it('yields centre crops in order and ten crops per image, the centre crop among them', async () => {
    const data = builtinShapes({ input: 24, sourceSize: 32, trainSize: 10, valSize: 7 });
    const center = await collect(data.val, { batchSize: 4, mode: 'center', seed: 0, epoch: 0 });
    expect(center.map((b) => b.count)).toEqual([4, 3]);
    expect(center.flatMap((b) => [...b.indices])).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const ten = await collect(data.val, { batchSize: 4, mode: 'tenCrop', seed: 0, epoch: 0 });
    const per = 3 * 24 * 24;
    expect(ten[0]!.images).toHaveLength(4 * 10 * per);
    // crop 4 of each image's ten is the centre crop (the order: 4 corners, centre, then mirrored)
    for (let i = 0; i < 4; i++) {
      expect(ten[0]!.images.subarray((i * 10 + 4) * per, (i * 10 + 5) * per)).toEqual(
        center[0]!.images.subarray(i * per, (i + 1) * per),
      );
    }
  });

  it('refuses bad sizes and requests', async () => {
    expect(() => builtinShapes({ input: 32, sourceSize: 24 })).toThrow(/sourceSize must be an integer >= 32/);
    expect(() => builtinShapes({ trainSize: 0 })).toThrow(/trainSize must be an integer >= 1/);
    const data = builtinShapes({ input: 24, trainSize: 8, valSize: 4 });
    await expect(collect(data.val, { batchSize: 0, mode: 'center', seed: 0, epoch: 0 })).rejects.toThrow(
      /batchSize/,
    );
    await expect(
      collect(data.val, { batchSize: 2, mode: 'sideways' as 'center', seed: 0, epoch: 0 }),
    ).rejects.toThrow(/mode must be train, center or tenCrop/);
  });
});
