import type { BackendV1, CapabilitiesV1, Precision } from '../contract/backend.js';
import type { KernelTableV1 } from '../contract/kernels.js';
import { HostStorage, MAX_HOST_BUFFER_LENGTH } from '../host/storage.js';
import { assertInteger } from '../shape.js';
import { referenceKernels } from './kernels.js';

export interface ReferenceBackendOptions {
  /** 'float32' (default) stores and rounds like every other backend; 'float64' is for gradient checks. */
  precision?: Precision;
  /** Device index: 'ref:0', 'ref:1', … — two reference devices stand in for two towers in tests. */
  index?: number;
  /** Bytes of freed buffers kept for reuse (default 1 GiB; 0 disables the cache). */
  cacheBytes?: number;
}

/**
 * The reference backend: plain TypeScript, synchronous, readable first. It is the oracle every other
 * backend is tested against, so each kernel is the textbook formula (see the files beside this one).
 * Storage is host memory (HostStorage).
 */
export class ReferenceBackend extends HostStorage implements BackendV1 {
  readonly contract = 'v1' as const;
  readonly kind = 'ref';
  readonly capabilities: CapabilitiesV1;
  readonly kernels: KernelTableV1;

  constructor(options: ReferenceBackendOptions = {}) {
    const index = options.index ?? 0;
    assertInteger(index, 'reference backend: index', 0);
    const precision = options.precision ?? 'float32';
    super(`ref:${index}`, precision, options.cacheBytes);
    this.capabilities = {
      precision,
      asynchronous: false,
      peerCopy: true,
      maxBufferLength: MAX_HOST_BUFFER_LENGTH,
      unsupported: {},
      description: `reference backend (plain TypeScript, ${precision}, single thread)`,
    };
    this.kernels = referenceKernels(this.device, (buf) => this.array(buf));
  }
}
