import { ArgumentError, type Device, type Shape, sizeOf, type Tensor } from '@alexnet/tensor';
import { checkInputShape, copyOrAdd, type ForwardContext, Layer, numberConfig, showShape } from '../layer.js';
import { Slot } from '../slot.js';

export interface DropoutConfig {
  name?: string;
  /** Probability of dropping a unit, in [0, 1) (paper: 0.5 on fc6 and fc7). */
  p?: number;
}

/**
 * Inverted dropout: in training y = x · mask with mask_i = [u_i ≥ p] / (1 − p), u_i value
 * (offset + i) of the Philox stream of `ctx.random.seed` — the same mask on every backend, and
 * reproducible from (seed, offset) when training resumes. At inference it is the identity, which is
 * equivalent in expectation to the paper's "multiply the outputs by 0.5 at test time".
 * Caches the mask (one value per element, allocated per batch size).
 */
export class Dropout extends Layer {
  readonly type = 'dropout';
  readonly outputShapes: readonly Shape[];
  readonly p: number;
  private readonly mask: Slot;
  /** Whether the last forward applied a mask (training with p > 0). */
  private masked = false;

  constructor(device: Device, inputShape: Shape, config: DropoutConfig = {}) {
    super(device, [inputShape], config.name ?? 'dropout');
    checkInputShape(this.label, inputShape, null, 'any shape');
    this.p = numberConfig(this.label, 'p', config.p ?? 0.5, 0, 1);
    if (this.p >= 1) throw new ArgumentError(`${this.label}: p must be below 1, got ${this.p}`);
    this.outputShapes = [this.inputShapes[0]!];
    this.mask = new Slot(device, inputShape);
  }

  override randomCount(batch: number): number {
    return this.p > 0 ? batch * sizeOf(this.inputShapes[0]!) : 0;
  }

  describe(): string {
    return `dropout p=${this.p} (inverted) → ${showShape(this.outputShapes[0]!)}`;
  }

  protected run(ctx: ForwardContext): void {
    const x = this.inputs[0]!;
    const y = this.outputs[0]!;
    this.masked = ctx.training && this.p > 0;
    if (!this.masked) {
      this.device.backend.copy(x.buffer, y.buffer, { length: x.size });
      return;
    }
    const r = ctx.random;
    if (!r) {
      throw new ArgumentError(
        `${this.label}: training forward needs ctx.random = { seed, offset } (a Net assigns it from its stream)`,
      );
    }
    this.device.kernels.dropoutForward(
      { x: x.buffer, y: y.buffer, mask: this.mask.at(this.batch).buffer },
      { length: x.size, p: this.p, seed: r.seed, offset: r.offset },
    );
  }

  protected runBackward(
    dOutputs: readonly (Tensor | null)[],
    dInputs: readonly (Tensor | null)[],
    accumulate: readonly boolean[],
  ): void {
    const dx = dInputs[0];
    if (!dx) return;
    const dy = dOutputs[0]!;
    if (!this.masked) {
      copyOrAdd(this.device, dy, dx, accumulate[0]!);
      return;
    }
    this.device.kernels.dropoutBackward(
      { dy: dy.buffer, mask: this.mask.at(this.batch).buffer, dx: dx.buffer },
      { length: dy.size, accumulate: accumulate[0]! },
    );
  }

  protected override releaseBuffers(): void {
    this.mask.release();
  }
}
