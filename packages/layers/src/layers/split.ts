import { ArgumentError, type Device, type Shape, ShapeError, type Tensor } from '@alexnet/tensor';
import { checkInputShape, type ForwardContext, intConfig, Layer, showShape } from '../layer.js';
import { Slot } from '../slot.js';

export interface SplitConfig {
  name?: string;
  /** Split into this many equal parts (AlexNet: 2 towers)… */
  parts?: number;
  /** …or into parts of these channel counts (summing to the input's channels). */
  channels?: readonly number[];
}

/**
 * Splits along channels: [c, …] → [c₀, …], [c₁, …], … Outputs are named '0', '1', … (graph
 * references 'split:1'). Caches nothing; the backward pass concatenates the output gradients (a
 * part nobody used counts as zero).
 */
export class Split extends Layer {
  readonly type = 'split';
  readonly outputShapes: readonly Shape[];
  override readonly outputNames: readonly string[];
  readonly channels: readonly number[];
  private readonly spatial: number;
  private readonly zeros: Slot[];
  private readonly scratch: Slot;

  constructor(device: Device, inputShape: Shape, config: SplitConfig) {
    super(device, [inputShape], config.name ?? 'split');
    const label = this.label;
    checkInputShape(label, inputShape, null, '[channels, ...]');
    if (inputShape.length < 1) throw new ShapeError(`${label}: input shape must be [channels, ...], got []`);
    const c = inputShape[0]!;
    const rest = inputShape.slice(1);
    let channels: number[];
    if (config.channels !== undefined) {
      if (config.parts !== undefined) throw new ArgumentError(`${label}: give parts or channels, not both`);
      if (!Array.isArray(config.channels) || config.channels.length < 1) {
        throw new ArgumentError(
          `${label}: channels must be a non-empty array, got ${String(config.channels)}`,
        );
      }
      channels = config.channels.map((v, i) => intConfig(label, `channels[${i}]`, v, 1));
      const sum = channels.reduce((a, b) => a + b, 0);
      if (sum !== c) {
        throw new ShapeError(`${label}: channels ${showShape(channels)} sum to ${sum}, the input has ${c}`);
      }
    } else {
      const parts = intConfig(label, 'parts', config.parts, 1);
      if (c % parts !== 0)
        throw new ShapeError(`${label}: ${c} input channels do not split into ${parts} equal parts`);
      channels = new Array<number>(parts).fill(c / parts);
    }
    this.channels = Object.freeze(channels);
    this.spatial = rest.reduce((a, b) => a * b, 1);
    this.outputShapes = channels.map((ci) => Object.freeze([ci, ...rest]));
    this.outputNames = Object.freeze(channels.map((_, i) => String(i)));
    this.zeros = this.outputShapes.map((s) => new Slot(device, s));
    this.scratch = new Slot(device, inputShape);
  }

  describe(): string {
    return `split ${showShape(this.inputShapes[0]!)} → ${this.outputShapes.map(showShape).join(' + ')}`;
  }

  protected run(_ctx: ForwardContext): void {
    this.device.kernels.splitChannels(
      { x: this.inputs[0]!.buffer, outputs: this.outputs.map((t) => t.buffer) },
      { n: this.batch, channels: this.channels, spatial: this.spatial },
    );
  }

  protected runBackward(
    dOutputs: readonly (Tensor | null)[],
    dInputs: readonly (Tensor | null)[],
    accumulate: readonly boolean[],
  ): void {
    const dx = dInputs[0];
    if (!dx) return;
    const parts = dOutputs.map((d, i) => {
      if (d) return d.buffer;
      const z = this.zeros[i]!.at(this.batch);
      this.device.backend.fill(z.buffer, 0, 0, z.size);
      return z.buffer;
    });
    const target = accumulate[0] ? this.scratch.at(this.batch) : dx;
    this.device.kernels.concatChannels(
      { inputs: parts, y: target.buffer },
      { n: this.batch, channels: this.channels, spatial: this.spatial },
    );
    if (accumulate[0])
      this.device.kernels.axpy({ x: target.buffer, y: dx.buffer }, { length: dx.size, alpha: 1 });
  }

  protected override releaseBuffers(): void {
    for (const z of this.zeros) z.release();
    this.scratch.release();
  }
}
