import type { Device, Shape, Tensor } from '@alexnet/tensor';
import { type ForwardContext, Layer, showShape } from '../layer.js';
import { Slot } from '../slot.js';
import { channelLayout } from './channels.js';

export interface ConcatConfig {
  name?: string;
}

/**
 * Joins inputs along channels: [c₀, …] + [c₁, …] → [c₀ + c₁, …] (the other extents must agree).
 * This is where AlexNet's towers meet (conv3, fc6, fc7 read both). Caches nothing; the backward pass
 * splits the gradient, through a scratch buffer for inputs whose gradient is accumulated.
 */
export class Concat extends Layer {
  readonly type = 'concat';
  readonly outputShapes: readonly Shape[];
  readonly channels: readonly number[];
  private readonly spatial: number;
  private readonly scratch: Slot[];

  constructor(device: Device, inputShapes: readonly Shape[], config: ConcatConfig = {}) {
    super(device, inputShapes, config.name ?? 'concat');
    const { channels, rest, spatial } = channelLayout(this.label, inputShapes);
    this.channels = Object.freeze(channels);
    this.spatial = spatial;
    this.outputShapes = [Object.freeze([channels.reduce((a, b) => a + b, 0), ...rest])];
    this.scratch = inputShapes.map((s) => new Slot(device, s));
  }

  describe(): string {
    return `concat ${this.inputShapes.map(showShape).join(' + ')} → ${showShape(this.outputShapes[0]!)}`;
  }

  protected run(_ctx: ForwardContext): void {
    this.device.kernels.concatChannels(
      { inputs: this.inputs.map((t) => t.buffer), y: this.outputs[0]!.buffer },
      { n: this.batch, channels: this.channels, spatial: this.spatial },
    );
  }

  protected runBackward(
    dOutputs: readonly (Tensor | null)[],
    dInputs: readonly (Tensor | null)[],
    accumulate: readonly boolean[],
  ): void {
    // splitChannels writes every part: parts that are accumulated (or not wanted) go to scratch.
    const parts = dInputs.map((d, i) => (d && !accumulate[i] ? d : this.scratch[i]!.at(this.batch)));
    this.device.kernels.splitChannels(
      { x: dOutputs[0]!.buffer, outputs: parts.map((t) => t.buffer) },
      { n: this.batch, channels: this.channels, spatial: this.spatial },
    );
    dInputs.forEach((d, i) => {
      if (d && accumulate[i]) {
        this.device.kernels.axpy({ x: parts[i]!.buffer, y: d.buffer }, { length: d.size, alpha: 1 });
      }
    });
  }

  protected override releaseBuffers(): void {
    for (const s of this.scratch) s.release();
  }
}
