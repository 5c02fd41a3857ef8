/**
 * CUDA events, and waiting for them without blocking Node's event loop: cuEventQuery is polled,
 * first on the next turns of the loop (setImmediate), then with timers backing off to `maxSleepMs`.
 * (Never cuLaunchHostFunc with a JS callback: the driver's thread would call into V8.)
 */
import type { PrimaryContext } from './context.js';
import { CUDA_ERROR_NOT_READY, CUDA_SUCCESS, callOut, check } from './errors.js';
import type { CudaStream } from './stream.js';

const CU_EVENT_DEFAULT = 0;
const CU_EVENT_DISABLE_TIMING = 2;

export class CudaEvent {
  readonly handle: bigint;
  private destroyed = false;

  constructor(
    readonly ctx: PrimaryContext,
    timing = false,
  ) {
    ctx.makeCurrent();
    this.handle = callOut<bigint>(
      ctx.driver,
      'cuEventCreate',
      ctx.driver.cuEventCreate,
      timing ? CU_EVENT_DEFAULT : CU_EVENT_DISABLE_TIMING,
    );
  }

  record(stream: CudaStream): void {
    this.ctx.makeCurrent();
    check(this.ctx.driver, 'cuEventRecord', this.ctx.driver.cuEventRecord(this.handle, stream.handle));
  }

  /** True when the work before the record has finished; a failed kernel surfaces here as a CudaError. */
  done(): boolean {
    const rc = this.ctx.driver.cuEventQuery(this.handle);
    if (rc === CUDA_SUCCESS) return true;
    if (rc === CUDA_ERROR_NOT_READY) return false;
    check(this.ctx.driver, 'cuEventQuery', rc);
    return false;
  }

  /** Resolves when the event has completed, polling without blocking the event loop. */
  async wait(maxSleepMs = 1): Promise<void> {
    let spins = 0;
    while (!this.done()) {
      // A few immediate re-checks catch short waits; then sleep, doubling up to maxSleepMs.
      if (spins < 8) await new Promise<void>((r) => setImmediate(r));
      else await new Promise<void>((r) => setTimeout(r, Math.min(maxSleepMs, 0.125 * 2 ** (spins - 8))));
      spins++;
    }
  }

  /** Milliseconds between two recorded timing events (cuEventElapsedTime). */
  static elapsedMs(start: CudaEvent, end: CudaEvent): number {
    return callOut<number>(
      start.ctx.driver,
      'cuEventElapsedTime',
      start.ctx.driver.cuEventElapsedTime,
      start.handle,
      end.handle,
    );
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ctx.makeCurrent();
    check(this.ctx.driver, 'cuEventDestroy', this.ctx.driver.cuEventDestroy(this.handle));
  }
}
