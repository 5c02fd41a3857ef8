/** A CUDA stream: the backend's queue of copies and kernels. */
import type { PrimaryContext } from './context.js';
import { callOut, check } from './errors.js';
import type { CudaEvent } from './event.js';

/**
 * Flags 0 = a blocking stream: it synchronises with the legacy default stream, so work that a
 * synchronous driver call puts there (e.g. cuMemFree's implicit sync) stays ordered.
 */
const CU_STREAM_DEFAULT = 0;

export class CudaStream {
  readonly handle: bigint;
  private destroyed = false;

  constructor(readonly ctx: PrimaryContext) {
    ctx.makeCurrent();
    this.handle = callOut<bigint>(ctx.driver, 'cuStreamCreate', ctx.driver.cuStreamCreate, CU_STREAM_DEFAULT);
  }

  /** Work enqueued on this stream after the call waits for `event` (recorded on any stream). */
  wait(event: CudaEvent): void {
    this.ctx.makeCurrent();
    check(
      this.ctx.driver,
      'cuStreamWaitEvent',
      this.ctx.driver.cuStreamWaitEvent(this.handle, event.handle, 0),
    );
  }

  /** Blocks the calling thread until the stream is idle (only for dispose and trims). */
  synchronizeBlocking(): void {
    this.ctx.makeCurrent();
    check(this.ctx.driver, 'cuStreamSynchronize', this.ctx.driver.cuStreamSynchronize(this.handle));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ctx.makeCurrent();
    check(this.ctx.driver, 'cuStreamDestroy', this.ctx.driver.cuStreamDestroy(this.handle));
  }
}
