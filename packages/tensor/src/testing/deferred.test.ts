/**
 * The contract's enqueue semantics, exercised: a backend that runs nothing until `read`/`sync`
 * (as a GPU stream would) must pass the same conformance suite, and writes must copy their data
 * at call time because callers may reuse the array as soon as `write` returns.
 */
import { describe, expect, it } from 'vitest';
import type { BackendV1 } from '../contract/backend.js';
import type { BufferHandle, CopyRegion } from '../contract/buffer.js';
import { KERNEL_NAMES_V1, type KernelName, type KernelTableV1 } from '../contract/kernels.js';
import { ReferenceBackend } from '../reference/backend.js';
import { conformanceSuite } from './suite.js';

class DeferredBackend implements BackendV1 {
  readonly contract = 'v1' as const;
  readonly kind = 'ref';
  readonly device = 'ref:0';
  readonly inner = new ReferenceBackend();
  readonly capabilities = {
    ...this.inner.capabilities,
    asynchronous: true,
    description: 'deferred reference (test)',
  };
  readonly kernels: KernelTableV1;
  queue: (() => void)[] = [];

  constructor() {
    const table: Partial<Record<KernelName, unknown>> = {};
    for (const name of KERNEL_NAMES_V1) {
      table[name] = (bufs: never, attrs: never) => {
        this.queue.push(() => (this.inner.kernels[name] as (b: never, a: never) => void)(bufs, attrs));
      };
    }
    this.kernels = table as KernelTableV1;
  }

  private flush(): void {
    for (const op of this.queue.splice(0)) op();
  }
  alloc(length: number): BufferHandle {
    return this.inner.alloc(length);
  }
  free(buf: BufferHandle): void {
    this.queue.push(() => this.inner.free(buf));
  }
  write(buf: BufferHandle, data: Float32Array | Float64Array, offset = 0): void {
    const copy = data.slice();
    this.queue.push(() => this.inner.write(buf, copy, offset));
  }
  async read(buf: BufferHandle, offset?: number, length?: number): Promise<Float32Array> {
    await Promise.resolve();
    this.flush();
    return this.inner.read(buf, offset, length);
  }
  copy(src: BufferHandle, dst: BufferHandle, region?: CopyRegion): void {
    this.queue.push(() => this.inner.copy(src, dst, region));
  }
  fill(buf: BufferHandle, value: number, offset?: number, length?: number): void {
    this.queue.push(() => this.inner.fill(buf, value, offset, length));
  }
  async sync(): Promise<void> {
    this.flush();
  }
  memory() {
    return this.inner.memory();
  }
  dispose(): void {
    this.flush();
    this.inner.dispose();
  }
}

describe('a deferred (asynchronous) backend', () => {
  it('runs nothing until read, and writes snapshot their data', async () => {
    const b = new DeferredBackend();
    const x = b.alloc(3);
    const data = Float32Array.from([1, -2, 3]);
    b.write(x, data);
    data.fill(100); // the caller reuses its array at once
    b.kernels.relu({ x, y: x }, { length: 3 });
    expect(b.queue.length).toBe(2);
    expect([...(await b.read(x))]).toEqual([1, 0, 3]);
    expect(b.queue.length).toBe(0);
  });
});

conformanceSuite({ name: 'deferred reference', create: () => new DeferredBackend(), shapes: ['odd'] });
