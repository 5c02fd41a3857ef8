import { type Device, type Shape, ShapeError, sizeOf, type Tensor } from '@alexnet/tensor';
import { checkInputShape, type ForwardContext, intConfig, Layer, type Param, showShape } from '../layer.js';

export interface LinearConfig {
  name?: string;
  /** Output features (AlexNet's fc6/fc7: 4096, fc8: the number of classes). */
  outFeatures: number;
  /** Expected input features, checked against the input shape when given. */
  inFeatures?: number;
  bias?: boolean;
  /** Weight decay multipliers: weights 1, biases 0 by default (as cuda-convnet, the paper's code). */
  weightDecayMult?: number;
  biasDecayMult?: number;
  weightLrMult?: number;
  biasLrMult?: number;
}

/**
 * Fully connected: y = x · Wᵀ + b with W [out, in] (the PyTorch/Caffe layout), through `gemm` with
 * transB. Any input shape is read as its flattened [in] (NCHW is contiguous, so no copy is needed).
 * Caches its input (the weight gradient is dyᵀ · x).
 */
export class Linear extends Layer {
  readonly type = 'linear';
  readonly outputShapes: readonly Shape[];
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Param;
  readonly bias: Param | null;

  constructor(device: Device, inputShape: Shape, config: LinearConfig) {
    super(device, [inputShape], config.name ?? 'linear');
    const label = this.label;
    checkInputShape(label, inputShape, null, 'any shape');
    this.inFeatures = sizeOf(inputShape);
    this.outFeatures = intConfig(label, 'outFeatures', config.outFeatures, 1);
    if (config.inFeatures !== undefined && config.inFeatures !== this.inFeatures) {
      throw new ShapeError(
        `${label}: inFeatures ${config.inFeatures} does not match the input shape ${showShape(inputShape)} (${this.inFeatures} features)`,
      );
    }
    this.outputShapes = [Object.freeze([this.outFeatures])];
    this.weight = this.makeParam(
      'weight',
      [this.outFeatures, this.inFeatures],
      config.weightDecayMult ?? 1,
      config.weightLrMult ?? 1,
    );
    this.bias =
      config.bias === false
        ? null
        : this.makeParam('bias', [this.outFeatures], config.biasDecayMult ?? 0, config.biasLrMult ?? 1);
  }

  override params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  override multiplyAdds(): number {
    return this.inFeatures * this.outFeatures;
  }

  describe(): string {
    return `linear ${this.inFeatures}→${this.outFeatures}${this.bias ? '' : ', no bias'}`;
  }

  protected run(_ctx: ForwardContext): void {
    const k = this.device.kernels;
    const y = this.outputs[0]!.buffer;
    // y[n, out] = x[n, in] · W[out, in]ᵀ
    k.gemm(
      { a: this.inputs[0]!.buffer, b: this.weight.value.buffer, c: y },
      {
        transA: false,
        transB: true,
        m: this.batch,
        n: this.outFeatures,
        k: this.inFeatures,
        alpha: 1,
        beta: 0,
      },
    );
    if (this.bias) {
      k.biasAdd(
        { x: y, bias: this.bias.value.buffer, y },
        { n: this.batch, c: this.outFeatures, spatial: 1 },
      );
    }
  }

  protected runBackward(
    dOutputs: readonly (Tensor | null)[],
    dInputs: readonly (Tensor | null)[],
    accumulate: readonly boolean[],
  ): void {
    const k = this.device.kernels;
    const dy = dOutputs[0]!.buffer;
    // dW[out, in] += dy[n, out]ᵀ · x[n, in]
    k.gemm(
      { a: dy, b: this.inputs[0]!.buffer, c: this.weight.grad.buffer },
      {
        transA: true,
        transB: false,
        m: this.outFeatures,
        n: this.inFeatures,
        k: this.batch,
        alpha: 1,
        beta: 1,
      },
    );
    if (this.bias) {
      k.biasGrad(
        { dy, db: this.bias.grad.buffer },
        { n: this.batch, c: this.outFeatures, spatial: 1, accumulate: true },
      );
    }
    const dx = dInputs[0];
    if (dx) {
      // dx[n, in] (+)= dy[n, out] · W[out, in]
      k.gemm(
        { a: dy, b: this.weight.value.buffer, c: dx.buffer },
        {
          transA: false,
          transB: false,
          m: this.batch,
          n: this.inFeatures,
          k: this.outFeatures,
          alpha: 1,
          beta: accumulate[0] ? 1 : 0,
        },
      );
    }
  }
}
