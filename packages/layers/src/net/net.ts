/**
 * A static graph of layers placed on devices. Built once from a spec (the model as data); buffers
 * are allocated when a batch size is first seen (and again only when a larger one comes); where a
 * node reads a value that lives on another device the Net keeps a replica there, copies into it
 * after the producer runs (`transfer`: a peer copy where the backend can) and sums the gradient that
 * comes back into the original with `axpy`. Each device's nodes are enqueued by their own async loop
 * that waits only for the cross-device copies it needs, so two towers on two asynchronous devices
 * run concurrently.
 */
import {
  ArgumentError,
  type Device,
  PhiloxStream,
  type Shape,
  ShapeError,
  Tensor,
  transfer,
} from '@alexnet/tensor';
import { GraphError, withContext } from '../errors.js';
import { type ForwardContext, type Layer, type Param, showShape } from '../layer.js';
import { createLayer, type LayerConfig } from '../layers/registry.js';
import { SoftmaxCrossEntropy } from '../layers/softmax-cross-entropy.js';
import { Slot } from '../slot.js';
import { checkName, parseRef, topologicalOrder } from './graph.js';

/** Builds a custom layer for a node (the Net passes the node's device, input shapes and name). */
export type LayerFactory = (device: Device, inputShapes: readonly Shape[], name: string) => Layer;

export interface NodeSpec {
  /** Unique name; also the prefix of the node's parameter names ('conv1.weight'). */
  name: string;
  /** A layer config (`{ type: 'conv2d', … }`) or a factory for custom layers. */
  layer: LayerConfig | LayerFactory;
  /** Values read, in the layer's input order: 'data', 'conv1', 'split:1', 'loss:probs'. */
  inputs: readonly string[];
  /** Where the node runs (default: the Net's device). */
  device?: Device;
}

export interface InputSpec {
  /** Per-example shape: [3, 224, 224] for images, [] for labels. */
  shape: Shape;
  /** Where the input is written (default: the Net's device). */
  device?: Device;
}

export interface NetSpec {
  /** Default device of inputs and nodes. */
  device: Device;
  /** Network inputs by name, with their per-example shapes. */
  inputs: Readonly<Record<string, Shape | InputSpec>>;
  /** The nodes, in any order (they are sorted topologically; ties keep this order). */
  nodes: readonly NodeSpec[];
  /** Seed of the Philox stream dropout masks are drawn from (default 0). */
  seed?: number;
  /** Inputs whose gradient backward should compute (for saliency maps and whole-net gradient checks). */
  gradInputs?: readonly string[];
}

export interface ForwardOptions {
  /** Training mode (dropout masks drawn) — required before backward. Default false. */
  training?: boolean;
  /**
   * Compute only what these values need ('fc7' for features, 'fc8' for logits without labels).
   * Default: the whole net.
   */
  outputs?: readonly string[];
}

/** A batch: each needed input as a flat array of n examples, or a tensor of n examples. */
export type Batch = Readonly<Record<string, Float32Array | Float64Array | Tensor>>;

export interface NodeSummary {
  name: string;
  type: string;
  device: string;
  inputs: string[];
  outputShapes: Shape[];
  description: string;
  /** Trainable scalars. */
  params: number;
  /** Multiply-adds per example in the forward pass (conv and linear weights). */
  multiplyAdds: number;
}

export interface RngState {
  seed: number;
  offset: number;
}

/** A promise with its resolve/reject; rejection is marked handled so an aborted run leaves no noise. */
class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.promise.catch(() => {});
  }
}

/** A value's copy on another device (a node there reads it). */
class Replica {
  readonly data: Slot;
  /** Gradient of the consumers on this device, summed here, then sent home. */
  grad: Slot | null = null;
  /** Home-device buffer the gradient is copied into before the axpy (null: copied straight into the home gradient). */
  staging: Slot | null = null;
  ready = new Deferred();
  returned = new Deferred();

  constructor(
    readonly value: Value,
    readonly device: Device,
  ) {
    this.data = new Slot(device, value.shape);
  }
}

interface Consumer {
  node: NodeRec;
  input: number;
}

class Value {
  readonly data: Slot;
  grad: Slot | null = null;
  /** Some consumer's backward produces a gradient for it. */
  hasGrad = false;
  /** hasGrad but nothing contributes (a gradInput no layer differentiates): zero-filled. */
  zeroGrad = false;
  readonly consumers: Consumer[] = [];
  readonly replicas = new Map<Device, Replica>();
  /** Replicas whose gradients come back, in the order they are summed. */
  readonly gradReplicas: Replica[] = [];

  constructor(
    /** Canonical reference ('conv1', 'split:1', 'data'). */
    readonly ref: string,
    readonly producer: NodeRec | null,
    readonly shape: Shape,
    readonly device: Device,
  ) {
    this.data = new Slot(device, shape);
  }

  get exampleSize(): number {
    return this.data.exampleSize;
  }

  replica(device: Device): Replica {
    let r = this.replicas.get(device);
    if (!r) {
      r = new Replica(this, device);
      this.replicas.set(device, r);
    }
    return r;
  }
}

interface NodeRec {
  readonly name: string;
  readonly topo: number;
  readonly device: Device;
  readonly layer: Layer;
  readonly inputRefs: readonly string[];
  readonly inputs: readonly Value[];
  outputs: Value[];
  needsBackward: boolean;
  /** Per input: accumulate (true) or write (false) its gradient. */
  readonly accumulate: boolean[];
  /** Replicas whose gradient is complete once this node's backward has run. */
  readonly sendBackward: Replica[];
}

interface LastForward {
  n: number;
  training: boolean;
  complete: boolean;
  computed: ReadonlySet<Value>;
}

export class Net {
  /** Node names in topological order (the order forward runs them). */
  readonly order: readonly string[];
  /** Every device the net uses, the default first. */
  readonly devices: readonly Device[];
  /** The default device (inputs and nodes without a placement). */
  readonly device: Device;
  private readonly nodes: readonly NodeRec[];
  private readonly nodeByName = new Map<string, NodeRec>();
  private readonly inputValues = new Map<string, Value>();
  private readonly values = new Map<string, Value>();
  private rng: PhiloxStream;
  private last: LastForward | null = null;
  private busy = false;
  private disposed = false;

  constructor(spec: NetSpec) {
    if (!spec || typeof spec !== 'object')
      throw new GraphError('Net: expected a spec { device, inputs, nodes }');
    if (!spec.device || typeof spec.device !== 'object' || !('kernels' in spec.device)) {
      throw new GraphError('Net: spec.device must be a Device');
    }
    this.device = spec.device;
    this.rng = new PhiloxStream(spec.seed ?? 0);
    const devices = new Set<Device>([spec.device]);

    // inputs
    if (!spec.inputs || typeof spec.inputs !== 'object')
      throw new GraphError('Net: spec.inputs must be an object');
    for (const [name, s] of Object.entries(spec.inputs)) {
      checkName(name, 'input');
      const is = Array.isArray(s) ? { shape: s as Shape } : (s as InputSpec);
      const shape = is?.shape;
      if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 1)) {
        throw new ShapeError(
          `Net: input '${name}' needs a per-example shape of positive integers, got ${String(shape)}`,
        );
      }
      const device = is.device ?? spec.device;
      devices.add(device);
      const v = new Value(name, null, Object.freeze([...shape]), device);
      this.inputValues.set(name, v);
      this.values.set(name, v);
    }

    // nodes: names, dependencies, topological order
    if (!Array.isArray(spec.nodes) || spec.nodes.length === 0)
      throw new GraphError('Net: spec.nodes must be a non-empty array');
    const specs = new Map<string, NodeSpec>();
    for (const ns of spec.nodes) {
      const name = checkName(ns?.name, 'node');
      if (specs.has(name)) throw new GraphError(`Net: two nodes are named '${name}'`);
      if (this.inputValues.has(name)) throw new GraphError(`Net: node '${name}' has the name of an input`);
      if (!Array.isArray(ns.inputs) || ns.inputs.length === 0) {
        throw new GraphError(`Net: node '${name}' needs a non-empty inputs array`);
      }
      specs.set(name, ns);
    }
    const known = () => [...this.inputValues.keys(), ...specs.keys()].join(', ');
    const deps = new Map<string, string[]>();
    for (const [name, ns] of specs) {
      const ds: string[] = [];
      for (const ref of ns.inputs) {
        const r = parseRef(ref, `node '${name}'`);
        if (this.inputValues.has(r.node)) {
          if (r.output !== null)
            throw new GraphError(
              `node '${name}': input '${ref}': '${r.node}' is a network input, it has no outputs`,
            );
          continue;
        }
        if (!specs.has(r.node)) {
          throw new GraphError(`node '${name}': input '${ref}' names no node or input (known: ${known()})`);
        }
        ds.push(r.node);
      }
      deps.set(name, ds);
    }
    const order = topologicalOrder([...specs.keys()], deps);
    this.order = Object.freeze(order);

    // layers, in order, each from its inputs' shapes
    const nodes: NodeRec[] = [];
    order.forEach((name, topo) => {
      const ns = specs.get(name)!;
      const device = ns.device ?? spec.device;
      devices.add(device);
      const inputs = ns.inputs.map((ref) => this.resolve(ref, `node '${name}'`));
      const shapes = inputs.map((v) => v.shape);
      const context = `node '${name}' (inputs ${ns.inputs.map((r, i) => `${r} ${showShape(shapes[i]!)}`).join(', ')})`;
      let layer: Layer;
      try {
        layer =
          typeof ns.layer === 'function'
            ? ns.layer(device, shapes, name)
            : createLayer(device, shapes, { ...ns.layer, name } as LayerConfig);
      } catch (e) {
        throw withContext(e, context);
      }
      if (!layer || typeof layer.forward !== 'function')
        throw new GraphError(`${context}: the factory returned no layer`);
      if (layer.device !== device) {
        throw new GraphError(
          `${context}: the layer was built on ${layer.device.name}, the node is placed on ${device.name}`,
        );
      }
      if (layer.name !== name)
        throw new GraphError(`${context}: the layer is named '${layer.name}'; name it after its node`);
      if (layer.inputShapes.length !== inputs.length) {
        throw new GraphError(
          `${context}: the layer takes ${layer.inputShapes.length} inputs, the node gives ${inputs.length}`,
        );
      }
      const node: NodeRec = {
        name,
        topo,
        device,
        layer,
        inputRefs: [...ns.inputs],
        inputs,
        outputs: [],
        needsBackward: false,
        accumulate: inputs.map(() => false),
        sendBackward: [],
      };
      node.outputs = layer.outputShapes.map((shape, j) => {
        const outName = layer.outputNames[j] ?? String(j);
        const ref = layer.outputShapes.length === 1 ? name : `${name}:${outName}`;
        const v = new Value(ref, node, shape, device);
        this.values.set(ref, v);
        return v;
      });
      inputs.forEach((v, i) => {
        v.consumers.push({ node, input: i });
        if (v.device !== device) v.replica(device);
      });
      nodes.push(node);
      this.nodeByName.set(name, node);
    });
    this.nodes = nodes;
    this.devices = Object.freeze([...devices]);
    const names = new Map<string, Device>();
    for (const d of this.devices) {
      if (names.has(d.name)) {
        throw new GraphError(
          `Net: two different Device objects are both named '${d.name}'; create one Device per device and share it`,
        );
      }
      names.set(d.name, d);
    }

    // gradients: which values carry one, and who writes / accumulates / sends it
    for (const name of spec.gradInputs ?? []) {
      const v = this.inputValues.get(name);
      if (!v)
        throw new GraphError(
          `Net: gradInputs names '${name}', which is not an input (inputs: ${[...this.inputValues.keys()].join(', ')})`,
        );
      v.hasGrad = true;
    }
    for (const node of [...nodes].reverse()) {
      node.needsBackward = node.layer.isLoss || node.outputs.some((v) => v.hasGrad);
      if (!node.needsBackward) continue;
      node.inputs.forEach((v, i) => {
        // network inputs carry a gradient only when listed in gradInputs (conv1 needs no dx)
        if (node.layer.differentiable(i) && v.producer && !v.producer.layer.isLoss) v.hasGrad = true;
      });
    }
    for (const v of this.values.values()) if (v.hasGrad) this.planGradient(v);
  }

  // ---------------------------------------------------------------- running

  /**
   * Runs the net on a batch (each needed input as n examples). Resolves once every node's work is
   * enqueued and every cross-device copy is done; read results with `read`, `loss` or `output`.
   */
  async forward(batch: Batch, options: ForwardOptions = {}): Promise<void> {
    this.assertUsable();
    const training = options.training ?? false;
    if (typeof training !== 'boolean')
      throw new ArgumentError(`forward: training must be a boolean, got ${String(training)}`);
    const needed = this.neededNodes(options.outputs);
    const neededInputs = new Set<Value>();
    for (const node of needed) for (const v of node.inputs) if (!v.producer) neededInputs.add(v);
    if (batch === null || typeof batch !== 'object')
      throw new ArgumentError('forward: batch must be an object of inputs');
    for (const key of Object.keys(batch)) {
      if (!this.inputValues.has(key)) {
        throw new ArgumentError(
          `forward: '${key}' is not an input of this net (inputs: ${[...this.inputValues.keys()].join(', ')})`,
        );
      }
    }
    const n = this.batchSize(batch, neededInputs, needed);

    this.busy = true;
    const computed = new Set<Value>();
    try {
      this.last = null;
      const replicas: Replica[] = [];
      for (const node of needed) {
        node.inputs.forEach((v) => {
          if (v.device !== node.device) {
            const r = v.replicas.get(node.device)!;
            if (!replicas.includes(r)) replicas.push(r);
          }
        });
      }
      for (const r of replicas) {
        r.ready = new Deferred();
        r.data.at(n);
      }
      // Random offsets are taken in topological order before anything runs, so the masks do not
      // depend on how the device loops interleave.
      const contexts = new Map<NodeRec, ForwardContext>();
      for (const node of needed) {
        const count = training ? node.layer.randomCount(n) : 0;
        contexts.set(
          node,
          count > 0
            ? { training, random: { seed: this.rng.seed, offset: this.rng.take(count) } }
            : { training },
        );
      }
      const send = (v: Value) => {
        for (const r of v.replicas.values()) {
          if (!replicas.includes(r)) continue;
          const length = n * v.exampleSize;
          transfer(v.device, v.data.at(n).buffer, r.device, r.data.at(n).buffer, { length }).then(
            () => r.ready.resolve(),
            (e) =>
              r.ready.reject(withContext(e, `copying '${v.ref}' from ${v.device.name} to ${r.device.name}`)),
          );
        }
      };
      // With several devices, let every device finish the previous step first: a copy still queued
      // on one device must not read a buffer that this step is about to overwrite on another.
      if (this.devices.length > 1) await Promise.all(this.devices.map((d) => d.backend.sync()));
      await Promise.all([...neededInputs].map((v) => this.writeInput(v, batch[v.ref]!, n)));
      for (const v of neededInputs) {
        computed.add(v);
        send(v);
      }
      await this.perDevice(replicas, 'ready', (device) => async () => {
        for (const node of needed) {
          if (node.device !== device) continue;
          const inputs: Tensor[] = [];
          for (const v of node.inputs) {
            if (v.device === device) inputs.push(v.data.at(n));
            else {
              const r = v.replicas.get(device)!;
              await r.ready.promise;
              inputs.push(r.data.at(n));
            }
          }
          const outputs = node.outputs.map((v) => v.data.at(n));
          try {
            node.layer.forward(inputs, outputs, contexts.get(node)!);
          } catch (e) {
            throw withContext(e, `forward of node '${node.name}'`);
          }
          for (const v of node.outputs) {
            computed.add(v);
            send(v);
          }
        }
      });
      this.last = { n, training, complete: needed.length === this.nodes.length, computed };
    } finally {
      this.busy = false;
    }
  }

  /**
   * Backpropagates the loss nodes of the last (training, whole-net) forward: adds every parameter's
   * gradient into `param.grad` (call `zeroGrads` first for a fresh batch) and fills the gradients of
   * the `gradInputs`.
   */
  async backward(): Promise<void> {
    this.assertUsable();
    const last = this.last;
    if (!last?.training || !last.complete) {
      throw new ArgumentError(
        'backward: needs a training forward over the whole net first (forward(batch, { training: true }) without outputs)',
      );
    }
    if (!this.nodes.some((node) => node.layer.isLoss))
      throw new GraphError('backward: the net has no loss node');
    const n = last.n;
    this.busy = true;
    try {
      const replicas: Replica[] = [];
      for (const v of this.values.values()) {
        for (const r of v.gradReplicas) {
          r.returned = new Deferred();
          replicas.push(r);
        }
      }
      const reversed = [...this.nodes].reverse();
      await this.perDevice(replicas, 'returned', (device) => async () => {
        for (const node of reversed) {
          if (node.device !== device || !node.needsBackward) continue;
          for (const v of node.outputs) if (v.hasGrad) await this.finishGradient(v, n);
          const dOutputs = node.outputs.map((v) => (v.hasGrad ? v.grad!.at(n) : null));
          const dInputs = node.inputs.map((v, i) => {
            if (!v.hasGrad || !node.layer.differentiable(i)) return null;
            return v.device === device ? v.grad!.at(n) : v.replicas.get(device)!.grad!.at(n);
          });
          try {
            node.layer.backward(dOutputs, dInputs, node.accumulate);
          } catch (e) {
            throw withContext(e, `backward of node '${node.name}'`);
          }
          for (const r of node.sendBackward) {
            const v = r.value;
            const target = r.staging ? r.staging.at(n) : v.grad!.at(n);
            transfer(r.device, r.grad!.at(n).buffer, v.device, target.buffer, {
              length: n * v.exampleSize,
            }).then(
              () => r.returned.resolve(),
              (e) =>
                r.returned.reject(
                  withContext(
                    e,
                    `copying the gradient of '${v.ref}' from ${r.device.name} to ${v.device.name}`,
                  ),
                ),
            );
          }
        }
        for (const v of this.inputValues.values()) {
          if (v.device === device && v.hasGrad) await this.finishGradient(v, n);
        }
      });
    } finally {
      this.busy = false;
    }
  }

  /** Sets every parameter gradient to zero (backward adds to them). */
  zeroGrads(): void {
    this.assertUsable();
    for (const p of this.params()) p.grad.device.backend.fill(p.grad.buffer, 0, 0, p.grad.size);
  }

  /** Every parameter, in topological order of the nodes ('conv1.weight', 'conv1.bias', …). */
  params(): Param[] {
    return this.nodes.flatMap((node) => node.layer.params());
  }

  /** Number of trainable scalars. */
  get parameterCount(): number {
    return this.params().reduce((s, p) => s + p.value.size, 0);
  }

  /** Multiply-adds per example of the forward pass (conv and linear weights; ×2 for FLOPs). */
  get multiplyAdds(): number {
    return this.nodes.reduce((s, node) => s + node.layer.multiplyAdds(), 0);
  }

  /** The layer of a node. */
  layer(name: string): Layer {
    const node = this.nodeByName.get(name);
    if (!node) throw new GraphError(`Net: no node named '${name}' (nodes: ${this.order.join(', ')})`);
    return node.layer;
  }

  /** Per-example shape of a value ('data', 'conv1', 'split:1'). */
  shape(ref: string): Shape {
    return this.resolve(ref, 'shape').shape;
  }

  /** The device a value lives on (its producer's). */
  deviceOf(ref: string): Device {
    return this.resolve(ref, 'deviceOf').device;
  }

  /** Batch size of the last forward (0 before the first). */
  get batch(): number {
    return this.last?.n ?? 0;
  }

  /** A value of the last forward as a tensor [n, ...shape] on its device (a view: valid until the next forward). */
  output(ref: string): Tensor {
    const v = this.resolve(ref, 'output');
    if (!this.last?.computed.has(v)) {
      throw new ArgumentError(`output: '${ref}' was not computed by the last forward`);
    }
    return v.data.at(this.last.n);
  }

  /** The elements of a value of the last forward (e.g. 'fc7' features, 'loss:probs'). */
  read(ref: string): Promise<Float32Array> {
    return this.output(ref).toArray();
  }

  /** The gradient of an input listed in `gradInputs`, after backward. */
  inputGrad(name: string): Tensor {
    const v = this.inputValues.get(name);
    if (!v?.grad) throw new ArgumentError(`inputGrad: '${name}' is not listed in the spec's gradInputs`);
    if (!this.last) throw new ArgumentError('inputGrad: no forward yet');
    return v.grad.at(this.last.n);
  }

  /** Σ lossWeight · mean loss over the loss nodes of the last forward. */
  async loss(): Promise<number> {
    const losses = this.nodes.filter((node) => node.layer.isLoss);
    if (losses.length === 0) throw new GraphError('loss: the net has no loss node');
    let sum = 0;
    for (const node of losses) {
      if (!this.last?.computed.has(node.outputs[0]!)) {
        throw new ArgumentError(`loss: node '${node.name}' was not computed by the last forward`);
      }
      const layer = node.layer;
      if (!(layer instanceof SoftmaxCrossEntropy)) {
        throw new ArgumentError(
          `loss: node '${node.name}' is a loss of type '${layer.type}' without a meanLoss`,
        );
      }
      sum += layer.lossWeight * (await layer.loss());
    }
    return sum;
  }

  /** Allocates every activation and gradient buffer for batches of up to n examples now. */
  reserve(n: number): void {
    this.assertUsable();
    if (!Number.isSafeInteger(n) || n < 1)
      throw new ArgumentError(`reserve: batch size must be an integer >= 1, got ${n}`);
    for (const v of this.values.values()) {
      v.data.at(n);
      v.grad?.at(n);
      for (const r of v.replicas.values()) {
        r.data.at(n);
        r.grad?.at(n);
        r.staging?.at(n);
      }
    }
  }

  /** State of the dropout stream: (seed, offset), advanced by every training forward. */
  rngState(): RngState {
    return this.rng.state();
  }

  /** Continues the dropout stream from a saved state (resuming training). */
  setRngState(state: RngState): void {
    if (
      !state ||
      !Number.isSafeInteger(state.seed) ||
      !Number.isSafeInteger(state.offset) ||
      state.seed < 0 ||
      state.offset < 0
    ) {
      throw new ArgumentError(
        `setRngState: expected { seed, offset } of non-negative integers, got ${JSON.stringify(state)}`,
      );
    }
    this.rng = new PhiloxStream(state.seed, state.offset);
  }

  /** One row per node, in order: type, device, output shapes, parameters, multiply-adds. */
  summary(): NodeSummary[] {
    return this.nodes.map((node) => ({
      name: node.name,
      type: node.layer.type,
      device: node.device.name,
      inputs: [...node.inputRefs],
      outputShapes: node.layer.outputShapes.map((s) => [...s]),
      description: node.layer.describe(),
      params: node.layer.params().reduce((s, p) => s + p.value.size, 0),
      multiplyAdds: node.layer.multiplyAdds(),
    }));
  }

  /** Frees every buffer and parameter; the net is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const node of this.nodes) node.layer.dispose();
    for (const v of this.values.values()) {
      v.data.release();
      v.grad?.release();
      for (const r of v.replicas.values()) {
        r.data.release();
        r.grad?.release();
        r.staging?.release();
      }
    }
  }

  // ---------------------------------------------------------------- internals

  /** The value a reference names: 'data', 'conv1' (first output), 'split:1', 'loss:probs'. */
  private resolve(ref: string, where: string): Value {
    const r = parseRef(ref, where);
    if (r.output === null) {
      const v = this.values.get(r.node) ?? this.nodeByName.get(r.node)?.outputs[0];
      if (v) return v;
    } else {
      const node = this.nodeByName.get(r.node);
      if (node) {
        const names = node.layer.outputNames;
        let j = names.indexOf(r.output);
        if (j < 0 && /^\d+$/.test(r.output)) j = Number(r.output);
        const v = node.outputs[j];
        if (v) return v;
        throw new GraphError(
          `${where}: node '${r.node}' has no output '${r.output}' (outputs: ${names.join(', ')})`,
        );
      }
    }
    throw new GraphError(`${where}: '${ref}' names no value of this net`);
  }

  /** Who writes and who adds the gradient of v, on its device and on each replica's. */
  private planGradient(v: Value): void {
    v.grad = new Slot(v.device, v.shape);
    const contributors = (device: Device) =>
      v.consumers
        .filter(
          (c) => c.node.device === device && c.node.needsBackward && c.node.layer.differentiable(c.input),
        )
        .sort((a, b) => b.node.topo - a.node.topo || a.input - b.input); // the order backward runs them
    const local = contributors(v.device);
    local.forEach((c, k) => {
      c.node.accumulate[c.input] = k > 0;
    });
    for (const r of v.replicas.values()) {
      const remote = contributors(r.device);
      if (remote.length === 0) continue;
      r.grad = new Slot(r.device, v.shape);
      remote.forEach((c, k) => {
        c.node.accumulate[c.input] = k > 0;
      });
      remote[remote.length - 1]!.node.sendBackward.push(r);
      // The first gradient to arrive may be copied straight into the (unwritten) home gradient.
      if (local.length > 0 || v.gradReplicas.length > 0) r.staging = new Slot(v.device, v.shape);
      v.gradReplicas.push(r);
    }
    v.zeroGrad = local.length === 0 && v.gradReplicas.length === 0;
  }

  /** Before v's producer runs backward: add the gradients that came back from other devices. */
  private async finishGradient(v: Value, n: number): Promise<void> {
    const grad = v.grad!.at(n);
    if (v.zeroGrad) v.device.backend.fill(grad.buffer, 0, 0, grad.size);
    for (const r of v.gradReplicas) {
      await r.returned.promise;
      if (r.staging) {
        v.device.kernels.axpy({ x: r.staging.at(n).buffer, y: grad.buffer }, { length: grad.size, alpha: 1 });
      }
    }
  }

  /**
   * Runs one async loop per device; if one fails, the deferreds the others may wait on are rejected
   * so every loop ends, and the first failure is thrown.
   */
  private async perDevice(
    replicas: readonly Replica[],
    which: 'ready' | 'returned',
    loop: (device: Device) => () => Promise<void>,
  ): Promise<void> {
    let first: unknown = null;
    const aborted = new Error('aborted: another device failed');
    const results = await Promise.allSettled(
      this.devices.map(async (device) => {
        try {
          await loop(device)();
        } catch (e) {
          if (first === null && e !== aborted) first = e;
          for (const r of replicas) r[which].reject(aborted);
          throw e;
        }
      }),
    );
    if (results.some((r) => r.status === 'rejected')) {
      throw first ?? (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    }
  }

  /** Nodes needed for the requested outputs (all when none are given), in topological order. */
  private neededNodes(outputs: readonly string[] | undefined): NodeRec[] {
    if (outputs === undefined) return [...this.nodes];
    if (!Array.isArray(outputs) || outputs.length === 0) {
      throw new ArgumentError('forward: outputs must be a non-empty array of value references');
    }
    const need = new Set<NodeRec>();
    const visit = (v: Value) => {
      const p = v.producer;
      if (!p || need.has(p)) return;
      need.add(p);
      for (const i of p.inputs) visit(i);
    };
    for (const ref of outputs) visit(this.resolve(ref, 'forward outputs'));
    return this.nodes.filter((node) => need.has(node));
  }

  private batchSize(batch: Batch, inputs: ReadonlySet<Value>, needed: readonly NodeRec[]): number {
    let n: number | null = null;
    let from = '';
    for (const v of inputs) {
      const data = batch[v.ref];
      if (data === undefined) {
        const reader = needed.find((node) => node.inputs.includes(v))!;
        throw new ArgumentError(
          `forward: input '${v.ref}' (read by node '${reader.name}') is missing from the batch`,
        );
      }
      let count: number;
      if (data instanceof Tensor) {
        count = data.rank > 0 ? data.shape[0]! : 0;
        if (data.size !== count * v.exampleSize) {
          throw new ShapeError(
            `forward: input '${v.ref}' has shape ${showShape(data.shape)}, expected [n, ${v.shape.join(', ')}]`,
          );
        }
      } else if (data instanceof Float32Array || data instanceof Float64Array) {
        count = data.length / v.exampleSize;
        if (!Number.isInteger(count)) {
          throw new ShapeError(
            `forward: input '${v.ref}' has ${data.length} values, not a whole number of examples of ${showShape(v.shape)} (${v.exampleSize} each)`,
          );
        }
      } else {
        throw new ArgumentError(`forward: input '${v.ref}' must be a Float32Array, Float64Array or Tensor`);
      }
      if (count < 1) throw new ShapeError(`forward: input '${v.ref}' holds no examples`);
      if (n !== null && count !== n) {
        throw new ShapeError(`forward: input '${v.ref}' holds ${count} examples, input '${from}' ${n}`);
      }
      n = count;
      from = v.ref;
    }
    if (n === null) throw new ArgumentError('forward: the requested outputs read no input');
    return n;
  }

  private async writeInput(v: Value, data: Float32Array | Float64Array | Tensor, n: number): Promise<void> {
    const dst = v.data.at(n);
    if (data instanceof Tensor)
      await transfer(data.device, data.buffer, v.device, dst.buffer, { length: dst.size });
    else v.device.backend.write(dst.buffer, data);
  }

  private assertUsable(): void {
    if (this.disposed) throw new ArgumentError('Net: used after dispose()');
    if (this.busy) throw new ArgumentError('Net: a forward or backward is still running (await it first)');
  }
}
