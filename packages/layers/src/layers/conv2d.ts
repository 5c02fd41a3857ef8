import { type ConvAttrs, type Device, type Shape, ShapeError, type Tensor } from '@alexnet/tensor';
import { checkInputShape, type ForwardContext, intConfig, Layer, type Param, showShape } from '../layer.js';

export interface Conv2dConfig {
  name?: string;
  /** Output channels (kernels). AlexNet's conv1 has 96. */
  outChannels: number;
  /** Kernel size: one number for square kernels, or [height, width]. */
  kernel: number | readonly [number, number];
  /** Stride (default 1) and zero padding (default 0), the same along both axes. */
  stride?: number;
  pad?: number;
  /**
   * Channel groups (default 1): group g sees only input channels [g·c/groups, (g+1)·c/groups) and
   * writes output channels [g·outC/groups, …). groups = 2 is AlexNet's two towers on one device.
   */
  groups?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  /** Weight decay multipliers: weights 1, biases 0 by default (as cuda-convnet, the paper's code). */
  weightDecayMult?: number;
  biasDecayMult?: number;
  /** Learning-rate multipliers (default 1: the paper uses one learning rate for every layer). */
  weightLrMult?: number;
  biasLrMult?: number;
}

/** Window output size with the layer's name and the axis in the message when the window does not fit. */
export function windowExtent(
  label: string,
  axis: string,
  input: number,
  window: number,
  stride: number,
  pad: number,
): number {
  const span = input + 2 * pad - window;
  if (span < 0) {
    throw new ShapeError(
      `${label}: window ${window} does not fit the input ${axis} ${input} with pad ${pad} (${input} + 2·${pad} < ${window})`,
    );
  }
  return Math.floor(span / stride) + 1;
}

/**
 * 2-D convolution (cross-correlation) with groups, stride and padding. Input [c, h, w], weights
 * [outC, c/groups, kh, kw], bias [outC], output [outC, outH, outW] with
 * outH = floor((h + 2·pad − kh)/stride) + 1. Caches its input (the filter gradient needs it).
 */
export class Conv2d extends Layer {
  readonly type = 'conv2d';
  readonly outputShapes: readonly Shape[];
  readonly weight: Param;
  readonly bias: Param | null;
  readonly attrs: Readonly<Omit<ConvAttrs, 'n'>>;

  constructor(device: Device, inputShape: Shape, config: Conv2dConfig) {
    super(device, [inputShape], config.name ?? 'conv2d');
    const label = this.label;
    checkInputShape(label, inputShape, 3, '[channels, height, width]');
    const [c, h, w] = inputShape as [number, number, number];
    const outC = intConfig(label, 'outChannels', config.outChannels, 1);
    const kernel = config.kernel;
    const [kh, kw] = typeof kernel === 'number' ? [kernel, kernel] : (kernel ?? []);
    intConfig(label, 'kernel height', kh, 1);
    intConfig(label, 'kernel width', kw, 1);
    const stride = intConfig(label, 'stride', config.stride ?? 1, 1);
    const pad = intConfig(label, 'pad', config.pad ?? 0, 0);
    const groups = intConfig(label, 'groups', config.groups ?? 1, 1);
    if (c % groups !== 0 || outC % groups !== 0) {
      throw new ShapeError(
        `${label}: input channels ${c} and outChannels ${outC} must both be divisible by groups ${groups}`,
      );
    }
    const outH = windowExtent(label, 'height', h, kh!, stride, pad);
    const outW = windowExtent(label, 'width', w, kw!, stride, pad);
    this.attrs = Object.freeze({ c, h, w, outC, kh: kh!, kw: kw!, stride, pad, groups });
    this.outputShapes = [Object.freeze([outC, outH, outW])];
    this.weight = this.makeParam(
      'weight',
      [outC, c / groups, kh!, kw!],
      config.weightDecayMult ?? 1,
      config.weightLrMult ?? 1,
    );
    this.bias =
      config.bias === false
        ? null
        : this.makeParam('bias', [outC], config.biasDecayMult ?? 0, config.biasLrMult ?? 1);
  }

  override params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  override multiplyAdds(): number {
    const a = this.attrs;
    const [, outH, outW] = this.outputShapes[0]!;
    return a.outC * outH! * outW! * (a.c / a.groups) * a.kh * a.kw;
  }

  describe(): string {
    const a = this.attrs;
    const k = a.kh === a.kw ? `${a.kh}×${a.kh}` : `${a.kh}×${a.kw}`;
    return (
      `conv ${k}/${a.stride}` +
      (a.pad ? ` pad ${a.pad}` : '') +
      (a.groups > 1 ? ` groups ${a.groups}` : '') +
      `, ${a.c}→${a.outC}${this.bias ? '' : ', no bias'} → ${showShape(this.outputShapes[0]!)}`
    );
  }

  protected run(_ctx: ForwardContext): void {
    this.device.kernels.conv2dForward(
      {
        x: this.inputs[0]!.buffer,
        w: this.weight.value.buffer,
        bias: this.bias ? this.bias.value.buffer : null,
        y: this.outputs[0]!.buffer,
      },
      { n: this.batch, ...this.attrs },
    );
  }

  protected runBackward(
    dOutputs: readonly (Tensor | null)[],
    dInputs: readonly (Tensor | null)[],
    accumulate: readonly boolean[],
  ): void {
    const dy = dOutputs[0]!.buffer;
    const attrs = { n: this.batch, ...this.attrs };
    const k = this.device.kernels;
    k.conv2dBackwardFilter(
      {
        x: this.inputs[0]!.buffer,
        dy,
        dw: this.weight.grad.buffer,
        dbias: this.bias ? this.bias.grad.buffer : null,
      },
      { ...attrs, accumulate: true },
    );
    const dx = dInputs[0];
    if (dx) {
      k.conv2dBackwardData(
        { dy, w: this.weight.value.buffer, dx: dx.buffer },
        { ...attrs, accumulate: accumulate[0]! },
      );
    }
  }
}
