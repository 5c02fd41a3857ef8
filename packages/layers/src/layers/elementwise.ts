import type { Device, Shape, Tensor } from '@alexnet/tensor';
import { checkInputShape, type ForwardContext, Layer, showShape } from '../layer.js';

export interface ActivationConfig {
  name?: string;
}

/** Shared body of the elementwise activations: same shape out as in, backward from the output y. */
export abstract class Elementwise extends Layer {
  readonly outputShapes: readonly Shape[];
  protected abstract readonly kernel: 'relu' | 'tanh';
  protected abstract readonly backwardKernel: 'reluBackward' | 'tanhBackward';

  /** `type` is passed in because the subclass's own fields are not set yet while this constructor runs. */
  constructor(device: Device, inputShape: Shape, type: string, name: string) {
    super(device, [inputShape], name);
    checkInputShape(`${type} '${name}'`, inputShape, null, 'any shape');
    this.outputShapes = [this.inputShapes[0]!];
  }

  get length(): number {
    return this.inputs[0]!.size;
  }

  describe(): string {
    return `${this.type} → ${showShape(this.outputShapes[0]!)}`;
  }

  protected run(_ctx: ForwardContext): void {
    this.device.kernels[this.kernel](
      { x: this.inputs[0]!.buffer, y: this.outputs[0]!.buffer },
      { length: this.length },
    );
  }

  protected runBackward(
    dOutputs: readonly (Tensor | null)[],
    dInputs: readonly (Tensor | null)[],
    accumulate: readonly boolean[],
  ): void {
    const dx = dInputs[0];
    if (!dx) return;
    this.device.kernels[this.backwardKernel](
      { y: this.outputs[0]!.buffer, dy: dOutputs[0]!.buffer, dx: dx.buffer },
      { length: this.length, accumulate: accumulate[0]! },
    );
  }
}
