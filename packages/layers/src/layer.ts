/**
 * The one shape every layer has (ConvNetJS's, with Caffe's blobs passed in): the constructor takes
 * the device, the per-example input shape(s) and a config, checks the config and computes the output
 * shape(s); `forward` writes caller-owned output tensors and caches what `backward` needs; `backward`
 * ACCUMULATES into parameter gradients and writes (or, per input, accumulates into) the input
 * gradients; `params()` lists value, gradient and the decay / learning-rate multipliers, so an
 * optimiser never needs to know what a layer is.
 */
import {
  ArgumentError,
  assertFinite,
  assertInteger,
  type Device,
  type Shape,
  ShapeError,
  sizeOf,
  Tensor,
} from '@alexnet/tensor';

/** A trainable tensor, its gradient and how the optimiser treats it. */
export interface Param {
  /** `${layer}.${role}`, e.g. 'conv2.weight' — unique within a Net. */
  readonly name: string;
  /** Name of the layer that owns it. */
  readonly layer: string;
  readonly role: 'weight' | 'bias';
  readonly value: Tensor;
  /**
   * Gradient of the loss; backward passes add to it, so zero it before each batch. Allocated
   * (zero-filled) on first use, so a network that only runs inference never holds gradients.
   */
  readonly grad: Tensor;
  /** Multiplies the optimiser's weight decay (0: no decay). */
  readonly decayMult: number;
  /** Multiplies the optimiser's learning rate. */
  readonly lrMult: number;
}

/** Where a layer's random draws start: value `offset` of the Philox stream of `seed`. */
export interface RandomSlice {
  seed: number;
  offset: number;
}

export interface ForwardContext {
  /** Training mode: dropout draws a mask. Inference: dropout is the identity (it is inverted dropout). */
  training: boolean;
  /** Required by layers that draw random numbers in training (see `Layer.randomCount`). A Net assigns it. */
  random?: RandomSlice;
}

/** Output names of a single-output layer. */
export const SINGLE_OUTPUT: readonly string[] = Object.freeze(['out']);

/** Throws an ArgumentError unless `value` is an integer ≥ min (message names the layer). */
export function intConfig(label: string, what: string, value: unknown, min: number): number {
  assertInteger(value as number, `${label}: ${what}`, min);
  return value as number;
}

/** Throws an ArgumentError unless `value` is a finite number in [min, max]. */
export function numberConfig(
  label: string,
  what: string,
  value: unknown,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
): number {
  assertFinite(value as number, `${label}: ${what}`);
  const v = value as number;
  if (v < min || v > max) {
    throw new ArgumentError(`${label}: ${what} must be in [${min}, ${max}], got ${v}`);
  }
  return v;
}

/** Formats a shape for messages: [3, 224, 224]. */
export function showShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Throws a ShapeError unless `shape` is a valid per-example shape of the given rank (any rank when omitted). */
export function checkInputShape(label: string, shape: Shape, rank: number | null, layout: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new ShapeError(`${label}: input shape must be positive integers, got ${String(shape)}`);
  }
  if (rank !== null && shape.length !== rank) {
    throw new ShapeError(`${label}: input shape must be ${layout} (rank ${rank}), got ${showShape(shape)}`);
  }
}

/** dst = src (accumulate false) or dst += src, over src's elements, on one device. */
export function copyOrAdd(device: Device, src: Tensor, dst: Tensor, accumulate: boolean): void {
  if (accumulate) device.kernels.axpy({ x: src.buffer, y: dst.buffer }, { length: src.size, alpha: 1 });
  else device.backend.copy(src.buffer, dst.buffer, { length: src.size });
}

export abstract class Layer {
  /** Layer kind as used in configs: 'conv2d', 'maxPool', … */
  abstract readonly type: string;
  readonly name: string;
  readonly device: Device;
  /** Per-example input shapes (no batch dimension). */
  readonly inputShapes: readonly Shape[];
  /** Per-example output shapes, computed by the constructor. */
  abstract readonly outputShapes: readonly Shape[];
  /** Names of the outputs (graph references `node:name`); the first is the default. */
  readonly outputNames: readonly string[] = SINGLE_OUTPUT;
  /** Loss layers start the backward pass: they ignore output gradients (see SoftmaxCrossEntropy). */
  readonly isLoss: boolean = false;

  /** Batch size, inputs, outputs and mode of the last forward (what backward needs). */
  protected batch = 0;
  protected inputs: readonly Tensor[] = [];
  protected outputs: readonly Tensor[] = [];
  protected training = false;
  private disposed = false;
  /** Parameter gradients allocated so far (makeParam's lazy `grad`), freed by dispose. */
  private readonly grads: Tensor[] = [];

  constructor(device: Device, inputShapes: readonly Shape[], name: string) {
    this.device = device;
    this.inputShapes = Object.freeze(inputShapes.map((s) => Object.freeze([...s])));
    this.name = name;
  }

  /** `conv2d 'conv1'` — the prefix of every message about this layer. */
  get label(): string {
    return `${this.type} '${this.name}'`;
  }

  /** Whether a gradient flows to input i (false for labels). */
  differentiable(_input: number): boolean {
    return true;
  }

  /** Trainable parameters (empty for most layers). */
  params(): Param[] {
    return [];
  }

  /** Philox stream values one training forward of `batch` examples draws (dropout); 0 for most layers. */
  randomCount(_batch: number): number {
    return 0;
  }

  /** Multiply-adds of one example's forward pass in the layer's weight products (conv, linear). */
  multiplyAdds(): number {
    return 0;
  }

  /** One line for summaries: 'conv 11×11/4 pad 2, 3→96'. */
  abstract describe(): string;

  /**
   * Runs the layer on a batch. `inputs[i]` has shape [n, ...inputShapes[i]] and `outputs[j]` shape
   * [n, ...outputShapes[j]] (any shape of that size whose first extent is n), all on this layer's
   * device. The tensors are remembered for `backward` and must stay unchanged until it runs.
   */
  forward(
    inputs: readonly Tensor[],
    outputs: readonly Tensor[],
    ctx: ForwardContext = { training: false },
  ): void {
    this.assertLive();
    const n = this.checkBatch('forward', 'input', inputs, this.inputShapes, null);
    this.checkBatch('forward', 'output', outputs, this.outputShapes, n);
    this.batch = n;
    this.inputs = [...inputs];
    this.outputs = [...outputs];
    this.training = ctx.training;
    this.run(ctx);
  }

  /**
   * Backpropagates through the last forward: adds parameter gradients into `params()[k].grad`, and
   * writes the gradient of input i into `dInputs[i]` (adds to it when `accumulate[i]` is true; skips it
   * when `dInputs[i]` is null). A null output gradient means zero (nothing downstream used it).
   */
  backward(
    dOutputs: readonly (Tensor | null)[],
    dInputs: readonly (Tensor | null)[],
    accumulate: boolean | readonly boolean[] = false,
  ): void {
    this.assertLive();
    if (this.batch === 0) throw new ArgumentError(`${this.label}: backward before any forward`);
    const n = this.batch;
    if (!this.isLoss) this.checkBatch('backward', 'output gradient', dOutputs, this.outputShapes, n, true);
    this.checkBatch('backward', 'input gradient', dInputs, this.inputShapes, n, true);
    const acc = this.inputShapes.map((_, i) =>
      typeof accumulate === 'boolean' ? accumulate : accumulate[i],
    );
    acc.forEach((a, i) => {
      if (typeof a !== 'boolean')
        throw new ArgumentError(`${this.label}: accumulate[${i}] must be a boolean, got ${String(a)}`);
    });
    dInputs.forEach((d, i) => {
      if (d && !this.differentiable(i))
        throw new ArgumentError(`${this.label}: input ${i} takes no gradient; pass null for it`);
    });
    if (!this.isLoss && dOutputs.every((d) => d === null)) {
      // Nothing flows back: the input gradients are zero and the parameter gradients unchanged.
      dInputs.forEach((d, i) => {
        if (d && !acc[i]) this.device.backend.fill(d.buffer, 0, 0, d.size);
      });
      return;
    }
    this.runBackward(dOutputs, dInputs, acc as boolean[]);
  }

  /** Frees the layer's parameters and internal buffers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.params()) p.value.dispose();
    for (const g of this.grads) g.dispose();
    this.releaseBuffers();
  }

  protected abstract run(ctx: ForwardContext): void;
  protected abstract runBackward(
    dOutputs: readonly (Tensor | null)[],
    dInputs: readonly (Tensor | null)[],
    accumulate: readonly boolean[],
  ): void;
  /** Frees internal batch-sized buffers (override when the layer has some). */
  protected releaseBuffers(): void {}

  /**
   * A parameter, zero-filled (initialise with `initParams` or by writing `value`). Its gradient is
   * allocated on first access: AlexNet's gradients are 233 MiB that inference never needs.
   */
  protected makeParam(role: 'weight' | 'bias', shape: Shape, decayMult: number, lrMult: number): Param {
    numberConfig(this.label, `${role} decayMult`, decayMult, 0);
    numberConfig(this.label, `${role} lrMult`, lrMult, 0);
    let grad: Tensor | null = null;
    const name = `${this.name}.${role}`;
    const { device, grads } = this;
    const disposed = () => this.disposed;
    return Object.freeze({
      name,
      layer: this.name,
      role,
      value: Tensor.zeros(this.device, shape),
      get grad(): Tensor {
        if (grad === null) {
          if (disposed()) throw new ArgumentError(`${name}: gradient of a disposed layer`);
          grad = Tensor.zeros(device, shape);
          grads.push(grad);
        }
        return grad;
      },
      decayMult,
      lrMult,
    });
  }

  private checkBatch(
    pass: string,
    what: string,
    tensors: readonly (Tensor | null)[],
    shapes: readonly Shape[],
    n: number | null,
    nullable = false,
  ): number {
    if (!Array.isArray(tensors) || tensors.length !== shapes.length) {
      throw new ArgumentError(
        `${this.label} ${pass}: expected ${shapes.length} ${what} tensor(s), got ${Array.isArray(tensors) ? tensors.length : String(tensors)}`,
      );
    }
    let batch = n;
    tensors.forEach((t, i) => {
      if (t === null) {
        if (nullable) return;
        throw new ArgumentError(`${this.label} ${pass}: ${what} ${i} is missing`);
      }
      if (!(t instanceof Tensor))
        throw new ArgumentError(`${this.label} ${pass}: ${what} ${i} is not a Tensor`);
      if (t.device !== this.device) {
        throw new ArgumentError(
          `${this.label} ${pass}: ${what} ${i} lives on ${t.device.name}, the layer on ${this.device.name}`,
        );
      }
      const example = sizeOf(shapes[i]!);
      const tn = t.rank === 0 ? 0 : t.shape[0]!;
      if (batch === null) batch = tn;
      if (tn < 1 || tn !== batch || t.size !== batch * example) {
        throw new ShapeError(
          `${this.label} ${pass}: ${what} ${i} has shape ${showShape(t.shape)}, expected ${showShape([batch, ...shapes[i]!])}` +
            (tn < 1 ? ' (the batch size must be at least 1)' : ''),
        );
      }
    });
    return batch ?? 0;
  }

  private assertLive(): void {
    if (this.disposed) throw new ArgumentError(`${this.label} was disposed`);
  }
}
