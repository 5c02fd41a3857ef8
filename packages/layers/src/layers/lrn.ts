import {
  ArgumentError,
  type Device,
  type LrnAttrs,
  type Shape,
  ShapeError,
  type Tensor,
} from '@alexnet/tensor';
import { checkInputShape, type ForwardContext, intConfig, Layer, numberConfig, showShape } from '../layer.js';
import { Slot } from '../slot.js';

export interface LRNConfig {
  name?: string;
  /** Window n: channels summed over, odd (paper: 5). */
  size?: number;
  /** α (paper: 1e-4), NOT divided by n unless `alphaConvention` is 'caffe'. */
  alpha?: number;
  /** β (paper: 0.75). */
  beta?: number;
  /** k (paper: 2; Caffe's bvlc_alexnet: 1). */
  k?: number;
  /**
   * Channel groups the window never crosses (default 1: across all channels). With both towers on one
   * device, groups = 2 normalises within each tower as the paper's two GPUs did; groups = 1 is
   * Caffe's single-GPU bvlc_alexnet, which normalises across all channels.
   */
  groups?: number;
  /**
   * How `alpha` is given: 'paper' (default) uses it as is, as the paper and tfjs do; 'caffe' divides
   * it by `size` first, as Caffe, PyTorch and ONNX do, so their hyper-parameters can be given verbatim.
   */
  alphaConvention?: 'paper' | 'caffe';
}

/**
 * Local response normalisation across channels (the paper's §3.3):
 *   b_i = a_i / (k + α Σ_{j=max(0, i−n/2)}^{min(N−1, i+n/2)} a_j²)^β
 * with the window clipped to each of `groups` channel groups. Caches its input, its output and the
 * scale buffer k + α Σ a² (one value per element, allocated per batch size).
 */
export class LRN extends Layer {
  /** The paper's constants. */
  static readonly PAPER = Object.freeze({ size: 5, alpha: 1e-4, beta: 0.75, k: 2 });
  /** Caffe's bvlc_alexnet: α = 1e-4 divided by n, k = 1, across all channels. */
  static readonly CAFFE = Object.freeze({
    size: 5,
    alpha: 1e-4,
    beta: 0.75,
    k: 1,
    groups: 1,
    alphaConvention: 'caffe' as const,
  });

  readonly type = 'lrn';
  readonly outputShapes: readonly Shape[];
  /** The kernel's attributes, with α as the kernel uses it (already divided by n in Caffe's convention). */
  readonly attrs: Readonly<Omit<LrnAttrs, 'n'>>;
  private readonly scale: Slot;

  constructor(device: Device, inputShape: Shape, config: LRNConfig = {}) {
    super(device, [inputShape], config.name ?? 'lrn');
    const label = this.label;
    checkInputShape(label, inputShape, 3, '[channels, height, width]');
    const [c, h, w] = inputShape as [number, number, number];
    const size = intConfig(label, 'size', config.size ?? LRN.PAPER.size, 1);
    if (size % 2 !== 1) throw new ArgumentError(`${label}: size must be odd, got ${size}`);
    const alphaGiven = numberConfig(label, 'alpha', config.alpha ?? LRN.PAPER.alpha, 0);
    const beta = numberConfig(label, 'beta', config.beta ?? LRN.PAPER.beta);
    const k = numberConfig(label, 'k', config.k ?? LRN.PAPER.k);
    if (k <= 0) throw new ArgumentError(`${label}: k must be > 0, got ${k}`);
    const groups = intConfig(label, 'groups', config.groups ?? 1, 1);
    if (c % groups !== 0) {
      throw new ShapeError(`${label}: input channels ${c} must be divisible by groups ${groups}`);
    }
    const convention = config.alphaConvention ?? 'paper';
    if (convention !== 'paper' && convention !== 'caffe') {
      throw new ArgumentError(
        `${label}: alphaConvention must be 'paper' or 'caffe', got '${String(convention)}'`,
      );
    }
    const alpha = convention === 'caffe' ? alphaGiven / size : alphaGiven;
    this.attrs = Object.freeze({ c, h, w, size, alpha, beta, k, groups });
    this.outputShapes = [Object.freeze([c, h, w])];
    this.scale = new Slot(device, inputShape);
  }

  /** 'within each of 2 groups' or 'across all channels' — which LRN a checkpoint used. */
  get window(): string {
    return this.attrs.groups > 1 ? `within each of ${this.attrs.groups} groups` : 'across all channels';
  }

  describe(): string {
    const a = this.attrs;
    return `LRN n=${a.size} α=${a.alpha} β=${a.beta} k=${a.k} ${this.window} → ${showShape(this.outputShapes[0]!)}`;
  }

  protected run(_ctx: ForwardContext): void {
    this.device.kernels.lrnForward(
      { x: this.inputs[0]!.buffer, y: this.outputs[0]!.buffer, scale: this.scale.at(this.batch).buffer },
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
    this.device.kernels.lrnBackward(
      {
        x: this.inputs[0]!.buffer,
        y: this.outputs[0]!.buffer,
        scale: this.scale.at(this.batch).buffer,
        dy: dOutputs[0]!.buffer,
        dx: dx.buffer,
      },
      { n: this.batch, ...this.attrs, accumulate: accumulate[0]! },
    );
  }

  protected override releaseBuffers(): void {
    this.scale.release();
  }
}
