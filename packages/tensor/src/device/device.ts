import type { BackendV1 } from '../contract/backend.js';
import type { KernelTableV1 } from '../contract/kernels.js';
import { withValidation } from '../contract/table.js';

/**
 * A device: one backend instance and its index (`cuda:1` is the second CUDA GPU). Layers talk to
 * `kernels`, which checks every call against the contract before handing it to the backend.
 */
export class Device {
  readonly kind: string;
  readonly index: number;
  readonly name: string;
  readonly kernels: KernelTableV1;

  constructor(readonly backend: BackendV1) {
    this.kind = backend.kind;
    this.name = backend.device;
    this.index = Number(backend.device.split(':')[1] ?? 0);
    this.kernels = withValidation(this.name, backend.kernels);
  }

  /** What runs on this device, in one line (for logs and `alexnet info`). */
  describe(): string {
    return `${this.name}: ${this.backend.capabilities.description}`;
  }

  toString(): string {
    return this.name;
  }
}
