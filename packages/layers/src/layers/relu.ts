import type { Device, Shape } from '@alexnet/tensor';
import { type ActivationConfig, Elementwise } from './elementwise.js';

/** max(0, x) — the paper's non-saturating non-linearity (§3.1). Caches its output (dx = dy·[y > 0]). */
export class ReLU extends Elementwise {
  readonly type = 'relu';
  protected readonly kernel = 'relu';
  protected readonly backwardKernel = 'reluBackward';

  constructor(device: Device, inputShape: Shape, config: ActivationConfig = {}) {
    super(device, inputShape, 'relu', config.name ?? 'relu');
  }
}
