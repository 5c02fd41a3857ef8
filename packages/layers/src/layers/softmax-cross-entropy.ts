import { type Device, type Shape, ShapeError, Tensor } from '@alexnet/tensor';
import { checkInputShape, copyOrAdd, type ForwardContext, Layer, numberConfig } from '../layer.js';
import { Slot } from '../slot.js';

export interface SoftmaxCrossEntropyConfig {
  name?: string;
  /** Multiplies the gradient (default 1); the reported loss stays the plain mean. */
  lossWeight?: number;
}

/**
 * Softmax followed by cross-entropy against class labels — the loss that starts the backward pass.
 * Inputs: logits [classes] and labels [] (class indices stored as floats). Outputs: 'losses', the
 * per-example loss [], and 'probs', the softmax probabilities [classes] (for top-1/top-5 error).
 * `meanLoss` ([1], on the device) is the mean over the batch. The gradient is that of lossWeight × the
 * mean loss: dlogits = (p − onehot)·lossWeight/n, computed in the forward pass and cached for
 * backward. Loss layers ignore output gradients: no gradient flows through 'losses' or 'probs'.
 */
export class SoftmaxCrossEntropy extends Layer {
  readonly type = 'softmaxCrossEntropy';
  readonly outputShapes: readonly Shape[];
  override readonly outputNames: readonly string[] = Object.freeze(['losses', 'probs']);
  override readonly isLoss = true;
  readonly classes: number;
  readonly lossWeight: number;
  /** Mean loss of the last forward, [1], on the layer's device. */
  readonly meanLoss: Tensor;
  private readonly dlogits: Slot;
  private readonly ones: Slot;

  constructor(device: Device, inputShapes: readonly Shape[], config: SoftmaxCrossEntropyConfig = {}) {
    super(device, inputShapes, config.name ?? 'softmaxCrossEntropy');
    const label = this.label;
    if (inputShapes.length !== 2) {
      throw new ShapeError(
        `${label}: needs two inputs, logits [classes] and labels [], got ${inputShapes.length}`,
      );
    }
    checkInputShape(label, inputShapes[0]!, 1, '[classes] (flatten the logits first)');
    const labels = inputShapes[1]!;
    if (!(labels.length === 0 || (labels.length === 1 && labels[0] === 1))) {
      throw new ShapeError(
        `${label}: labels must have shape [] (one class index per example), got [${labels.join(', ')}]`,
      );
    }
    this.classes = inputShapes[0]![0]!;
    this.lossWeight = numberConfig(label, 'lossWeight', config.lossWeight ?? 1);
    this.outputShapes = [Object.freeze([]), Object.freeze([this.classes])];
    this.meanLoss = Tensor.zeros(device, [1]);
    this.dlogits = new Slot(device, [this.classes]);
    this.ones = new Slot(device, []);
  }

  override differentiable(input: number): boolean {
    return input === 0;
  }

  /** The mean loss of the last forward (waits for the device). */
  async loss(): Promise<number> {
    return (await this.meanLoss.toArray())[0]!;
  }

  describe(): string {
    return `softmax cross-entropy, ${this.classes} classes${this.lossWeight !== 1 ? `, weight ${this.lossWeight}` : ''}`;
  }

  protected run(_ctx: ForwardContext): void {
    const n = this.batch;
    const k = this.device.kernels;
    const [logits, labels] = this.inputs as [Tensor, Tensor];
    const [losses, probs] = this.outputs as [Tensor, Tensor];
    k.softmaxCrossEntropy(
      {
        logits: logits.buffer,
        labels: labels.buffer,
        loss: losses.buffer,
        dlogits: this.dlogits.at(n).buffer,
      },
      { n, classes: this.classes, gradScale: this.lossWeight / n },
    );
    k.softmax({ x: logits.buffer, y: probs.buffer }, { n, classes: this.classes });
    // meanLoss = (1/n) · onesᵀ · losses, on the device (no host round trip per batch)
    const ones = this.ones.take(n);
    if (ones.fresh) this.device.backend.fill(ones.tensor.buffer, 1, 0, n);
    k.gemm(
      { a: ones.tensor.buffer, b: losses.buffer, c: this.meanLoss.buffer },
      { transA: false, transB: false, m: 1, n: 1, k: n, alpha: 1 / n, beta: 0 },
    );
  }

  protected runBackward(
    _dOutputs: readonly (Tensor | null)[],
    dInputs: readonly (Tensor | null)[],
    accumulate: readonly boolean[],
  ): void {
    const dx = dInputs[0];
    if (dx) copyOrAdd(this.device, this.dlogits.at(this.batch), dx, accumulate[0]!);
  }

  protected override releaseBuffers(): void {
    this.meanLoss.dispose();
    this.dlogits.release();
    this.ones.release();
  }
}
