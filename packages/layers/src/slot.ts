import { type BufferHandle, type Device, type Shape, sizeOf, Tensor } from '@alexnet/tensor';

/**
 * A batch-sized buffer: room for `capacity` examples of a per-example shape on one device. `at(n)`
 * returns a tensor of shape [n, ...shape] over its leading part, allocating only when n exceeds
 * the capacity (the contract lets a buffer be longer than the tensor it holds), so an epoch's
 * smaller last batch reuses the buffers of the full batches.
 */
export class Slot {
  readonly exampleSize: number;
  private buffer: BufferHandle | null = null;
  private capacityValue = 0;
  private view: Tensor | null = null;

  constructor(
    readonly device: Device,
    readonly shape: Shape,
  ) {
    this.exampleSize = sizeOf(shape);
  }

  get capacity(): number {
    return this.capacityValue;
  }

  /** The tensor [n, ...shape]; `fresh` is true when the buffer was (re)allocated by this call. */
  at(n: number): Tensor {
    return this.take(n).tensor;
  }

  take(n: number): { tensor: Tensor; fresh: boolean } {
    let fresh = false;
    if (n > this.capacityValue || this.buffer === null) {
      this.release();
      this.buffer = this.device.backend.alloc(Math.max(1, n * this.exampleSize));
      this.capacityValue = n;
      fresh = true;
    }
    if (this.view === null || this.view.shape[0] !== n) {
      this.view = new Tensor(this.device, [n, ...this.shape], this.buffer, false);
    }
    return { tensor: this.view, fresh };
  }

  /** Frees the buffer; a later `at` allocates again. */
  release(): void {
    if (this.buffer !== null) this.device.backend.free(this.buffer);
    this.buffer = null;
    this.view = null;
    this.capacityValue = 0;
  }
}
