import { type Device, type Shape, sizeOf, type Tensor } from '@alexnet/tensor';
import { checkInputShape, copyOrAdd, type ForwardContext, Layer, showShape } from '../layer.js';

export interface FlattenConfig {
  name?: string;
}

/**
 * [c, h, w] → [c·h·w]. The data is already contiguous, so this is a copy forward and a copy (or an
 * add, when accumulating) backward; it caches nothing. (Linear reads any input shape as flattened,
 * so AlexNet does not need it between pool5 and fc6; it is here for custom heads.)
 */
export class Flatten extends Layer {
  readonly type = 'flatten';
  readonly outputShapes: readonly Shape[];

  constructor(device: Device, inputShape: Shape, config: FlattenConfig = {}) {
    super(device, [inputShape], config.name ?? 'flatten');
    checkInputShape(this.label, inputShape, null, 'any shape');
    this.outputShapes = [Object.freeze([sizeOf(inputShape)])];
  }

  describe(): string {
    return `flatten ${showShape(this.inputShapes[0]!)} → ${showShape(this.outputShapes[0]!)}`;
  }

  protected run(_ctx: ForwardContext): void {
    const x = this.inputs[0]!;
    this.device.backend.copy(x.buffer, this.outputs[0]!.buffer, { length: x.size });
  }

  protected runBackward(
    dOutputs: readonly (Tensor | null)[],
    dInputs: readonly (Tensor | null)[],
    accumulate: readonly boolean[],
  ): void {
    const dx = dInputs[0];
    if (dx) copyOrAdd(this.device, dOutputs[0]!, dx, accumulate[0]!);
  }
}
