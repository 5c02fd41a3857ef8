/**
 * Page-locked (pinned) host staging buffers for write/read. Async copies need pinned memory: from
 * pageable memory the driver may return before the DMA has read the source. A staging buffer is
 * reused once the event recorded after its copy has completed; while all are busy, a new one is
 * allocated (so a burst of writes never waits for the GPU).
 */
import koffi from 'koffi';
import type { PrimaryContext } from './context.js';
import { callOut, check } from './errors.js';
import { CudaEvent } from './event.js';
import type { CudaStream } from './stream.js';

const CU_MEMHOSTALLOC_PORTABLE = 1;

export class PinnedBuffer {
  readonly ptr: bigint;
  /** A zero-copy view of the pinned memory. */
  readonly bytes: ArrayBuffer;
  /** Recorded after the last copy that used this buffer. */
  readonly event: CudaEvent;
  busy = false;

  constructor(
    readonly ctx: PrimaryContext,
    readonly size: number,
  ) {
    ctx.makeCurrent();
    this.ptr = callOut<bigint>(
      ctx.driver,
      'cuMemHostAlloc',
      ctx.driver.cuMemHostAlloc,
      size,
      CU_MEMHOSTALLOC_PORTABLE,
    );
    this.bytes = koffi.view(this.ptr, size);
    this.event = new CudaEvent(ctx);
  }

  free(): void {
    this.event.destroy();
    this.ctx.makeCurrent();
    check(this.ctx.driver, 'cuMemFreeHost', this.ctx.driver.cuMemFreeHost(this.ptr));
  }
}

/** Staging buffers of one backend, by power-of-two size (at least 64 KiB). */
export class PinnedPool {
  private readonly buffers: PinnedBuffer[] = [];

  constructor(private readonly ctx: PrimaryContext) {}

  /** A staging buffer of at least `bytes` whose previous copy has finished. */
  acquire(bytes: number): PinnedBuffer {
    for (const b of this.buffers) {
      if (!b.busy && b.size >= bytes && b.size <= 4 * Math.max(bytes, 65536) && b.event.done()) {
        b.busy = true;
        return b;
      }
    }
    const b = new PinnedBuffer(this.ctx, 2 ** Math.ceil(Math.log2(Math.max(bytes, 65536))));
    this.buffers.push(b);
    b.busy = true;
    return b;
  }

  /** Marks the buffer reusable once the work enqueued on `stream` so far (its copy) is done. */
  release(b: PinnedBuffer, stream: CudaStream): void {
    b.event.record(stream);
    b.busy = false;
  }

  get totalBytes(): number {
    return this.buffers.reduce((s, b) => s + b.size, 0);
  }

  dispose(): void {
    for (const b of this.buffers) b.free();
    this.buffers.length = 0;
  }
}
