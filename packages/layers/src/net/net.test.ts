import {
  ArgumentError,
  type CopyRegion,
  Device,
  ReferenceBackend,
  ShapeError,
  Tensor,
} from '@alexnet/tensor';
import { assertGradients, relativeError } from '@alexnet/tensor/testing';
import { describe, expect, it } from 'vitest';
import { GraphError } from '../errors.js';
import { ReLU } from '../layers/relu.js';
import type { SoftmaxCrossEntropy } from '../layers/softmax-cross-entropy.js';
import { f32Device, f64Device, readF64, SEED } from '../test-helpers.js';
import {
  CLASSES,
  GROUPED_FROM_TOWERS,
  groupedNet,
  INPUT,
  randomBatch,
  randomParams,
  stack,
  towerNet,
  writeParams,
} from './fixtures.js';
import { Net, type NodeSpec } from './net.js';

async function grads(net: Net): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const p of net.params()) out[p.name] = await p.grad.toArray();
  out.data = await net.inputGrad('data').toArray();
  return out;
}

/** One training step's loss, probabilities and gradients of `net` on a fixed batch. */
async function step(net: Net, n: number, seed: number) {
  const batch = randomBatch(n, seed);
  net.zeroGrads();
  await net.forward(batch, { training: true });
  await net.backward();
  return { loss: await net.loss(), probs: await net.read('loss:probs'), grads: await grads(net) };
}

describe('Net: two towers on two devices = one device with groups', () => {
  it('gives the same loss, probabilities and gradients (float32 reference devices ref:0, ref:1)', async () => {
    const d0 = f32Device(0);
    const d1 = f32Device(1);
    const towers = towerNet(d0, d1);
    const values = randomParams(towers.params(), SEED + 100);
    writeParams(towers.params(), values);
    const grouped = groupedNet(f32Device(0));
    writeParams(
      grouped.params(),
      Object.fromEntries(Object.entries(GROUPED_FROM_TOWERS).map(([g, ts]) => [g, stack(values, ts)])),
    );
    // the towers really are on two devices, and the copies between them were planned
    expect(towers.deviceOf('conv2_1').name).toBe('ref:1');
    expect(towers.deviceOf('pool2_0').name).toBe('ref:0');
    expect(towers.devices.map((d) => d.name)).toEqual(['ref:0', 'ref:1']);

    const n = 3;
    const a = await step(towers, n, SEED + 101);
    const b = await step(grouped, n, SEED + 101);
    expect(Number.isFinite(a.loss)).toBe(true);
    expect(relativeError(Float32Array.of(a.loss), Float32Array.of(b.loss))).toBeLessThan(1e-6);
    expect(relativeError(a.probs, b.probs)).toBeLessThan(1e-6);
    for (const [g, ts] of Object.entries(GROUPED_FROM_TOWERS)) {
      const fromTowers = Float32Array.from(stack(a.grads, ts));
      expect(relativeError(fromTowers, b.grads[g]!), `${g} (seed ${SEED})`).toBeLessThan(1e-5);
    }
    expect(relativeError(a.grads.data!, b.grads.data!)).toBeLessThan(1e-5);

    // the same tower graph with both towers on one device agrees as well
    const single = towerNet(d0, d0);
    writeParams(single.params(), values);
    expect(single.devices.map((d) => d.name)).toEqual(['ref:0']);
    const c = await step(single, n, SEED + 101);
    expect(c.loss).toBe(a.loss);
    for (const name of Object.keys(a.grads))
      expect(relativeError(c.grads[name]!, a.grads[name]!)).toBeLessThan(1e-6);
    for (const net of [towers, grouped, single]) net.dispose();
  });

  it('passes a float64 gradient check of the whole net (two devices, dropout, cross-device gradients)', async () => {
    const d0 = f64Device(0);
    const d1 = f64Device(1);
    const net = towerNet(d0, d1, 3);
    const params = net.params();
    const n = 2;
    const batch = randomBatch(n, SEED + 102);
    const labels = Tensor.fromArray(d0, [n], batch.labels);
    const inputs: Record<string, Float64Array> = {
      data: Float64Array.from(batch.data),
      ...Object.fromEntries(
        Object.entries(randomParams(params, SEED + 103)).map(([k, v]) => [k, Float64Array.from(v)]),
      ),
    };
    const rng = net.rngState(); // every evaluation draws the same dropout mask
    const loss = net.layer('loss') as SoftmaxCrossEntropy;
    const run = async (x: Record<string, Float64Array>) => {
      writeParams(params, x);
      net.setRngState(rng);
      await net.forward({ data: x.data!, labels }, { training: true });
    };
    const report = await assertGradients(
      {
        inputs,
        forward: async (x) => {
          await run(x);
          return readF64(loss.meanLoss);
        },
        backward: async (x, dOut) => {
          await run(x);
          net.zeroGrads();
          await net.backward();
          const g: Record<string, Float64Array> = {
            data: readF64(net.inputGrad('data')).map((v) => v * dOut[0]!),
          };
          for (const p of params) g[p.name] = readF64(p.grad).map((v) => v * dOut[0]!);
          return g;
        },
      },
      { kinks: true, seed: SEED + 104 },
    );
    expect(report.checked).toBe(Object.values(inputs).reduce((s, v) => s + v.length, 0));
    net.dispose();
  });
});

describe('Net: graph construction', () => {
  const dev = f32Device();
  const base = (nodes: NodeSpec[]) =>
    new Net({ device: dev, inputs: { data: [2, 4, 4], labels: [] }, nodes });
  const conv = (name: string, input: string, extra: object = {}): NodeSpec => ({
    name,
    layer: { type: 'conv2d', outChannels: 2, kernel: 3, pad: 1, ...extra },
    inputs: [input],
  });

  it('orders nodes topologically whatever the listing order', () => {
    const net = base([
      { name: 'loss', layer: { type: 'softmaxCrossEntropy' }, inputs: ['fc', 'labels'] },
      { name: 'fc', layer: { type: 'linear', outFeatures: 3 }, inputs: ['b'] },
      conv('b', 'a'),
      conv('a', 'data'),
    ]);
    expect(net.order).toEqual(['a', 'b', 'fc', 'loss']);
    const tower = towerNet(dev, f32Device(1), 1, { shuffle: true });
    const pos = new Map(tower.order.map((n, i) => [n, i]));
    for (const row of tower.summary()) {
      for (const ref of row.inputs) {
        const producer = ref.split(':')[0]!;
        if (pos.has(producer)) expect(pos.get(producer)!).toBeLessThan(pos.get(row.name)!);
      }
    }
  });

  it('names a cycle, a missing input, duplicates and bad references', () => {
    expect(() => base([conv('a', 'c'), conv('b', 'a'), conv('c', 'b')])).toThrow(GraphError);
    expect(() => base([conv('a', 'c'), conv('b', 'a'), conv('c', 'b')])).toThrow(
      /cycle: .*a → b → c|cycle: .*b → c → a|cycle: .*c → a → b/,
    );
    expect(() => base([conv('a', 'a')])).toThrow(/cycle: a → a/);
    expect(() => base([conv('a', 'dta')])).toThrow(
      /node 'a': input 'dta' names no node or input \(known: data, labels, a\)/,
    );
    expect(() => base([conv('a', 'data'), conv('a', 'data')])).toThrow(/two nodes are named 'a'/);
    expect(() => base([conv('data', 'data')])).toThrow(/node 'data' has the name of an input/);
    expect(() => base([conv('a', 'data:0')])).toThrow(/'data' is a network input/);
    expect(() => base([conv('a:b', 'data')])).toThrow(/node name "a:b" must be/);
    expect(() =>
      base([{ name: 's', layer: { type: 'split', parts: 2 }, inputs: ['data'] }, conv('a', 's:2')]),
    ).toThrow(/node 's' has no output '2' \(outputs: 0, 1\)/);
    expect(() => base([{ name: 'x', layer: { type: 'nope' } as never, inputs: ['data'] }])).toThrow(
      /unknown layer type 'nope'/,
    );
    expect(() => new Net({ device: dev, inputs: { data: [2, 0] }, nodes: [conv('a', 'data')] })).toThrow(
      ShapeError,
    );
  });

  it('reports shape mismatches with the node and its inputs', () => {
    const make = () =>
      base([
        conv('a', 'data'),
        conv('b', 'data', { stride: 2 }),
        { name: 'cat', layer: { type: 'concat' }, inputs: ['a', 'b'] },
      ]);
    expect(make).toThrow(ShapeError);
    expect(make).toThrow(
      /node 'cat' \(inputs a \[2, 4, 4\], b \[2, 2, 2\]\): concat 'cat': inputs must agree/,
    );
    expect(() => base([conv('a', 'data', { groups: 3 })])).toThrow(/node 'a' .*divisible by groups 3/);
    expect(() => base([{ name: 'r', layer: { type: 'relu' }, inputs: ['data', 'labels'] }])).toThrow(
      /takes one input, got 2/,
    );
  });

  it('rejects two Device objects with one name', () => {
    const twin = f32Device(0);
    expect(() => base([conv('a', 'data', {}), { ...conv('b', 'a'), device: twin }])).toThrow(
      /two different Device objects are both named 'ref:0'/,
    );
  });

  it('checks factories: device, name and input count', () => {
    const other = f32Device(1);
    expect(() =>
      base([
        { name: 'r', inputs: ['data'], layer: (_d, shapes, name) => new ReLU(other, shapes[0]!, { name }) },
      ]),
    ).toThrow(/built on ref:1, the node is placed on ref:0/);
    expect(() =>
      base([{ name: 'r', inputs: ['data'], layer: (d, shapes) => new ReLU(d, shapes[0]!, { name: 'q' }) }]),
    ).toThrow(/the layer is named 'q'; name it after its node/);
    expect(() =>
      base([
        {
          name: 'r',
          inputs: ['data', 'data'],
          layer: (d, shapes, name) => new ReLU(d, shapes[0]!, { name }),
        },
      ]),
    ).toThrow(/the layer takes 1 inputs, the node gives 2/);
    const net = base([
      { name: 'r', inputs: ['data'], layer: (d, shapes, name) => new ReLU(d, shapes[0]!, { name }) },
    ]);
    expect(net.layer('r')).toBeInstanceOf(ReLU);
    expect(() => net.layer('s')).toThrow(/no node named 's' \(nodes: r\)/);
  });
});

describe('Net: running', () => {
  it('reuses its buffers: allocated once per batch size, smaller batches use the leading part', async () => {
    const d0 = f32Device(0);
    const d1 = f32Device(1);
    const net = towerNet(d0, d1);
    writeParams(net.params(), randomParams(net.params(), SEED + 110));
    const live = () => d0.backend.memory().liveBuffers + d1.backend.memory().liveBuffers;
    await step(net, 4, SEED + 111);
    const after4 = live();
    const bytes4 = d0.backend.memory().bytesInUse;
    await step(net, 4, SEED + 112);
    expect(live()).toBe(after4);
    await step(net, 2, SEED + 113);
    expect(live()).toBe(after4);
    expect(d0.backend.memory().bytesInUse).toBe(bytes4);
    await step(net, 6, SEED + 114);
    expect(live()).toBe(after4);
    expect(d0.backend.memory().bytesInUse).toBeGreaterThan(bytes4);
    net.dispose();
    expect(live()).toBe(0);
  });

  it('computes only what requested outputs need (features without labels)', async () => {
    const d0 = f32Device(0);
    const net = towerNet(d0, f32Device(1));
    writeParams(net.params(), randomParams(net.params(), SEED + 120));
    const batch = randomBatch(3, SEED + 121);
    await net.forward(batch);
    const fc = await net.read('fc');
    const probs = await net.read('loss:probs');
    expect(fc.length).toBe(3 * CLASSES);
    await net.forward({ data: batch.data }, { outputs: ['fc'] });
    expect([...(await net.read('fc'))]).toEqual([...fc]);
    expect(() => net.output('loss:probs')).toThrow(/'loss:probs' was not computed by the last forward/);
    await net.forward({ data: batch.data }, { outputs: ['relu3_1'] });
    expect(net.output('relu3_1').shape).toEqual([3, 3, 2, 2]);
    await expect(net.backward()).rejects.toThrow(/needs a training forward over the whole net/);
    // the loss layer's probabilities sum to 1 per example
    for (let i = 0; i < 3; i++)
      expect(probs.slice(i * CLASSES, (i + 1) * CLASSES).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    net.dispose();
  });

  it('accepts tensors as inputs, from any device', async () => {
    const d0 = f32Device(0);
    const d1 = f32Device(1);
    const net = towerNet(d0, d1);
    writeParams(net.params(), randomParams(net.params(), SEED + 130));
    const batch = randomBatch(2, SEED + 131);
    await net.forward(batch);
    const want = await net.read('fc');
    await net.forward({
      data: Tensor.fromArray(d1, [2, ...INPUT], batch.data),
      labels: Tensor.fromArray(d0, [2], batch.labels),
    });
    expect([...(await net.read('fc'))]).toEqual([...want]);
    net.dispose();
  });

  it('rejects bad batches and out-of-order calls', async () => {
    const dev = f32Device();
    const net = towerNet(dev, dev);
    const batch = randomBatch(2, SEED + 140);
    await expect(net.forward({ data: batch.data })).rejects.toThrow(
      /input 'labels' \(read by node 'loss'\) is missing from the batch/,
    );
    await expect(net.forward({ ...batch, labelz: batch.labels })).rejects.toThrow(/'labelz' is not an input/);
    await expect(net.forward({ data: batch.data.subarray(1), labels: batch.labels })).rejects.toThrow(
      ShapeError,
    );
    await expect(net.forward({ data: batch.data, labels: new Float32Array(3) })).rejects.toThrow(
      /input 'labels' holds 3 examples, input 'data' 2/,
    );
    await expect(net.forward({ data: new Float32Array(0), labels: new Float32Array(0) })).rejects.toThrow(
      /holds no examples/,
    );
    await expect(net.backward()).rejects.toThrow(ArgumentError);
    await expect(net.forward(batch, { outputs: ['nope'] })).rejects.toThrow(GraphError);
    // a label outside the classes fails in the loss node, named
    await expect(net.forward({ data: batch.data, labels: Float32Array.of(0, CLASSES) })).rejects.toThrow(
      /forward of node 'loss': .*label 5 of example 1/,
    );
    const pending = net.forward(batch);
    await expect(net.forward(batch)).rejects.toThrow(/still running/);
    await pending;
    net.dispose();
    await expect(net.forward(batch)).rejects.toThrow(/after dispose/);
  });

  it('draws fresh dropout masks each training forward, reproducible from the RNG state', async () => {
    const dev = f32Device();
    const net = towerNet(dev, dev, 11);
    writeParams(net.params(), randomParams(net.params(), SEED + 150));
    const batch = randomBatch(2, SEED + 151);
    const s0 = net.rngState();
    expect(s0).toEqual({ seed: 11, offset: 0 });
    await net.forward(batch, { training: true });
    const first = await net.read('drop');
    expect(net.rngState().offset).toBe(2 * 24);
    await net.forward(batch, { training: true });
    const second = await net.read('drop');
    expect([...second]).not.toEqual([...first]);
    await net.forward(batch); // inference draws nothing
    expect(net.rngState().offset).toBe(4 * 24);
    net.setRngState(s0);
    await net.forward(batch, { training: true });
    expect([...(await net.read('drop'))]).toEqual([...first]);
    expect(() => net.setRngState({ seed: -1, offset: 0 })).toThrow(ArgumentError);
    net.dispose();
  });

  it('computes only the gradients something needs (no dx for conv1 unless the input is in gradInputs)', async () => {
    const calls: string[] = [];
    const backend = new ReferenceBackend();
    const counted = Object.fromEntries(
      Object.entries(backend.kernels).map(([name, fn]) => [
        name,
        (b: never, a: never) => {
          calls.push(name);
          (fn as (b: never, a: never) => void)(b, a);
        },
      ]),
    );
    Object.defineProperty(backend, 'kernels', { value: counted });
    const dev = new Device(backend);
    const spec = (gradInputs: string[]) =>
      new Net({
        device: dev,
        inputs: { data: [2, 4, 4], labels: [] },
        gradInputs,
        nodes: [
          { name: 'conv', layer: { type: 'conv2d', outChannels: 3, kernel: 3 }, inputs: ['data'] },
          { name: 'side', layer: { type: 'relu' }, inputs: ['conv'] }, // read by nothing: no backward
          { name: 'fc', layer: { type: 'linear', outFeatures: 2 }, inputs: ['conv'] },
          { name: 'loss', layer: { type: 'softmaxCrossEntropy' }, inputs: ['fc', 'labels'] },
        ],
      });
    const batch = { data: new Float32Array(2 * 32).fill(0.5), labels: Float32Array.of(0, 1) };
    for (const [gradInputs, dataGrads] of [
      [[], 0],
      [['data'], 1],
    ] as const) {
      const net = spec([...gradInputs]);
      await net.forward(batch, { training: true });
      calls.length = 0;
      await net.backward();
      expect(calls.filter((c) => c === 'conv2dBackwardData').length).toBe(dataGrads);
      expect(calls).not.toContain('reluBackward');
      expect(calls).toContain('conv2dBackwardFilter');
      net.dispose();
    }
  });

  it('summarises nodes: type, device, shapes, parameters, multiply-adds', () => {
    const net = towerNet(f32Device(0), f32Device(1));
    const rows = net.summary();
    const conv21 = rows.find((r) => r.name === 'conv2_1')!;
    expect(conv21).toMatchObject({
      type: 'conv2d',
      device: 'ref:1',
      inputs: ['split:1'],
      outputShapes: [[4, 6, 6]],
      params: 4 * 2 * 9 + 4,
    });
    expect(conv21.multiplyAdds).toBe(4 * 36 * 2 * 9);
    expect(net.parameterCount).toBe(rows.reduce((s, r) => s + r.params, 0));
    expect(net.multiplyAdds).toBe(rows.reduce((s, r) => s + r.multiplyAdds, 0));
    expect(net.shape('loss:probs')).toEqual([CLASSES]);
    expect(net.shape('split:1')).toEqual([2, 6, 6]);
    expect(net.params().map((p) => p.name)).toContain('conv3_1.bias');
    net.dispose();
  });

  it('sums the gradient of a value read twice by one node and by nodes on both devices', async () => {
    // y = concat(x, x) on ref:1 and a linear on ref:0 reading x: dL/dx collects three contributions
    const d0 = f64Device(0);
    const d1 = f64Device(1);
    const net = new Net({
      device: d0,
      inputs: { data: [2], labels: [] },
      gradInputs: ['data'],
      nodes: [
        { name: 'x', layer: { type: 'linear', outFeatures: 2 }, inputs: ['data'] },
        { name: 'twice', layer: { type: 'concat' }, inputs: ['x', 'x'], device: d1 },
        { name: 'a', layer: { type: 'linear', outFeatures: 3 }, inputs: ['twice'], device: d1 },
        { name: 'b', layer: { type: 'linear', outFeatures: 3 }, inputs: ['x'] },
        { name: 'sum', layer: { type: 'concat' }, inputs: ['a', 'b'] },
        { name: 'loss', layer: { type: 'softmaxCrossEntropy' }, inputs: ['sum', 'labels'] },
      ],
    });
    const params = net.params();
    const labels = Tensor.fromArray(d0, [2], [1, 4]);
    const inputs: Record<string, Float64Array> = {
      data: Float64Array.of(0.3, -1.2, 0.7, 0.4),
      ...Object.fromEntries(
        Object.entries(randomParams(params, SEED + 160)).map(([k, v]) => [k, Float64Array.from(v)]),
      ),
    };
    const loss = net.layer('loss') as SoftmaxCrossEntropy;
    await assertGradients({
      inputs,
      forward: async (x) => {
        writeParams(params, x);
        await net.forward({ data: x.data!, labels }, { training: true });
        return readF64(loss.meanLoss);
      },
      backward: async (x, dOut) => {
        writeParams(params, x);
        await net.forward({ data: x.data!, labels }, { training: true });
        net.zeroGrads();
        await net.backward();
        const g: Record<string, Float64Array> = {
          data: readF64(net.inputGrad('data')).map((v) => v * dOut[0]!),
        };
        for (const p of params) g[p.name] = readF64(p.grad).map((v) => v * dOut[0]!);
        return g;
      },
    });
    net.dispose();
  });
});

/**
 * An asynchronous stand-in for a GPU: work is queued and executes one operation per macrotask;
 * `sync()` resolves once everything queued before the call has run (like a stream event).
 */
function steppedDevice(index: number, log: string[]): Device {
  // built on a float32 reference backend; only timing differs
  const base = f32Device(index);
  const inner = base.backend;
  const queue: { op: () => void; label: string }[] = [];
  let executed = 0;
  let queued = 0;
  const waiters: { at: number; resolve: () => void }[] = [];
  const pump = () => {
    const item = queue.shift();
    if (!item) return;
    item.op();
    executed++;
    log.push(`run ${inner.device} ${item.label}`);
    for (const w of waiters.filter((w) => w.at <= executed)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    setImmediate(pump);
  };
  const enqueue = (label: string, op: () => void) => {
    queue.push({ op, label });
    queued++;
    log.push(`enqueue ${inner.device} ${label}`);
    if (queue.length === 1) setImmediate(pump);
  };
  const sync = () =>
    new Promise<void>((resolve) => {
      if (executed >= queued) resolve();
      else waiters.push({ at: queued, resolve });
    });
  const kernels = Object.fromEntries(
    Object.entries(inner.kernels).map(([name, fn]) => [
      name,
      (bufs: never, attrs: never) => enqueue(name, () => (fn as (b: never, a: never) => void)(bufs, attrs)),
    ]),
  );
  const backend = {
    ...inner,
    contract: inner.contract,
    kind: inner.kind,
    device: inner.device,
    capabilities: { ...inner.capabilities, asynchronous: true },
    kernels: kernels as unknown as typeof inner.kernels,
    alloc: (n: number) => inner.alloc(n),
    free: (b: never) => enqueue('free', () => inner.free(b)),
    write: (b: never, data: Float32Array | Float64Array, offset?: number) => {
      const copy = data.slice();
      enqueue('write', () => inner.write(b, copy, offset));
    },
    read: async (b: never, offset?: number, length?: number) => {
      await sync();
      return inner.read(b, offset, length);
    },
    copy: (s: never, d: never, r?: never) => enqueue('copy', () => inner.copy(s, d, r)),
    fill: (b: never, v: number, o?: number, l?: number) => enqueue('fill', () => inner.fill(b, v, o, l)),
    sync,
    memory: () => inner.memory(),
    // transfer() has synced the source: snapshot it now (the copy must not see later source writes)
    peerCopy: (
      s: never,
      src: { inner: { readFloat64(b: never): Float64Array } },
      d: never,
      r: CopyRegion = {},
    ) => {
      const so = r.srcOffset ?? 0;
      const data = src.inner
        .readFloat64(s)
        .slice(so, so + (r.length ?? (s as { length: number }).length - so));
      enqueue('peerCopy', () => inner.write(d, data, r.dstOffset ?? 0));
    },
    dispose: () => inner.dispose(),
    inner,
  };
  return new Device(backend as never);
}

describe('Net on asynchronous devices', () => {
  it('enqueues tower 1 while tower 0 is still queued (towers can overlap), with the same results', async () => {
    const log: string[] = [];
    const d0 = steppedDevice(0, log);
    const d1 = steppedDevice(1, log);
    const net = towerNet(d0, d1);
    const values = randomParams(net.params(), SEED + 170);
    writeParams(net.params(), values);
    const batch = randomBatch(2, SEED + 171);
    await d0.backend.sync();
    await d1.backend.sync();
    log.length = 0;
    await net.forward(batch, { training: true });
    await net.backward();
    const loss = await net.loss();

    // tower 1's conv2 was enqueued on ref:1 before tower 0's conv2 had run on ref:0
    const enq1 = log.indexOf('enqueue ref:1 conv2dForward');
    const ran0 = log.findIndex(
      (l, i) => l === 'run ref:0 conv2dForward' && i > log.indexOf('run ref:0 splitChannels'),
    );
    expect(enq1).toBeGreaterThan(-1);
    expect(ran0).toBeGreaterThan(enq1);
    // backward as well: tower 1's conv3 gradient is enqueued before tower 0's has run
    const bwEnq1 = log.indexOf('enqueue ref:1 conv2dBackwardFilter');
    const bwRan0 = log.indexOf('run ref:0 conv2dBackwardFilter');
    expect(bwEnq1).toBeGreaterThan(-1);
    expect(bwRan0).toBeGreaterThan(bwEnq1);

    // same numbers as synchronous devices
    const ref = towerNet(f32Device(0), f32Device(1));
    writeParams(ref.params(), values);
    await ref.forward(batch, { training: true });
    await ref.backward();
    expect(loss).toBe(await ref.loss());
    for (const [a, b] of ref.params().map((p, i) => [p, net.params()[i]!] as const)) {
      expect([...(await b.grad.toArray())], a.name).toEqual([...(await a.grad.toArray())]);
    }
    net.dispose();
    ref.dispose();
  });
});
