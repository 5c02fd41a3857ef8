import type { Device, Shape } from '@alexnet/tensor';
import { type ActivationConfig, Elementwise } from './elementwise.js';

/** tanh(x) — the saturating baseline of the paper's Figure 1. Caches its output (dx = dy·(1 − y²)). */
export class Tanh extends Elementwise {
  readonly type = 'tanh';
  protected readonly kernel = 'tanh';
  protected readonly backwardKernel = 'tanhBackward';

  constructor(device: Device, inputShape: Shape, config: ActivationConfig = {}) {
    super(device, inputShape, 'tanh', config.name ?? 'tanh');
  }
}
