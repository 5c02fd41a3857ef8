import { ArgumentError, type Device, type PoolAttrs, type Shape, type Tensor } from '@alexnet/tensor';
import { checkInputShape, type ForwardContext, intConfig, Layer, showShape } from '../layer.js';
import { windowExtent } from './conv2d.js';

export interface MaxPoolConfig {
  name?: string;
  /** Window size z (AlexNet: 3). */
  size: number;
  /** Stride s (AlexNet: 2); z > s is the paper's overlapping pooling, z = s the ablation. Default: size. */
  stride?: number;
  /** Padding (default 0, at most size/2); padded positions never win. */
  pad?: number;
}

/**
 * Max pooling over z×z windows with stride s, per channel. Caches its input: the backward pass
 * recomputes each window's arg-max from it (ties: the first maximum in row-major order).
 */
export class MaxPool extends Layer {
  readonly type = 'maxPool';
  readonly outputShapes: readonly Shape[];
  readonly attrs: Readonly<Omit<PoolAttrs, 'n'>>;

  constructor(device: Device, inputShape: Shape, config: MaxPoolConfig) {
    super(device, [inputShape], config.name ?? 'maxPool');
    const label = this.label;
    checkInputShape(label, inputShape, 3, '[channels, height, width]');
    const [c, h, w] = inputShape as [number, number, number];
    const size = intConfig(label, 'size', config.size, 1);
    const stride = intConfig(label, 'stride', config.stride ?? size, 1);
    const pad = intConfig(label, 'pad', config.pad ?? 0, 0);
    if (2 * pad > size)
      throw new ArgumentError(`${label}: pad ${pad} must be at most half the window size ${size}`);
    const outH = windowExtent(label, 'height', h, size, stride, pad);
    const outW = windowExtent(label, 'width', w, size, stride, pad);
    this.attrs = Object.freeze({ c, h, w, size, stride, pad });
    this.outputShapes = [Object.freeze([c, outH, outW])];
  }

  describe(): string {
    const a = this.attrs;
    return (
      `max pool ${a.size}×${a.size}/${a.stride}${a.pad ? ` pad ${a.pad}` : ''}` +
      `${a.size > a.stride ? ' (overlapping)' : ''} → ${showShape(this.outputShapes[0]!)}`
    );
  }

  protected run(_ctx: ForwardContext): void {
    this.device.kernels.maxPoolForward(
      { x: this.inputs[0]!.buffer, y: this.outputs[0]!.buffer },
      { n: this.batch, ...this.attrs },
    );
  }

  protected runBackward(
    dOutputs: readonly (Tensor | null)[],
    dInputs: readonly (Tensor | null)[],
    accumulate: readonly boolean[],
  ): void {
    const dx = dInputs[0];
    if (!dx) return;
    this.device.kernels.maxPoolBackward(
      { x: this.inputs[0]!.buffer, dy: dOutputs[0]!.buffer, dx: dx.buffer },
      { n: this.batch, ...this.attrs, accumulate: accumulate[0]! },
    );
  }
}
