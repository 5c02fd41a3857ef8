/** Driver initialisation, device queries and primary contexts. */
import { ArgumentError } from '@alexnet/tensor';
import { callOut, check } from './errors.js';
import { type CudaDriver, loadDriver } from './library.js';

// CUdevice_attribute values (cuda.h).
const ATTR_COMPUTE_CAPABILITY_MAJOR = 75;
const ATTR_COMPUTE_CAPABILITY_MINOR = 76;
const ATTR_MULTIPROCESSOR_COUNT = 16;

let initialised: CudaDriver | undefined;

/** The loaded, initialised driver; throws a clear error when there is none. */
export function openDriver(): CudaDriver {
  if (initialised) return initialised;
  const d = loadDriver();
  if (typeof d === 'string') throw new ArgumentError(`@alexnet/cuda is unavailable: ${d}`);
  check(d, 'cuInit', d.cuInit(0));
  initialised = d;
  return d;
}

/** The driver and its GPU count, or the reason there is none (never throws). */
export function probeDriver(): { driver: CudaDriver; gpus: number } | string {
  try {
    const driver = openDriver();
    return { driver, gpus: deviceCount(driver) };
  } catch (e) {
    return (e as Error).message;
  }
}

export function deviceCount(d: CudaDriver): number {
  return callOut<number>(d, 'cuDeviceGetCount', d.cuDeviceGetCount);
}

export interface GpuInfo {
  ordinal: number;
  name: string;
  computeCapability: readonly [number, number];
  multiprocessors: number;
  totalMemoryBytes: number;
  /** e.g. 13000 for CUDA 13.0 (cuDriverGetVersion). */
  driverVersion: number;
}

export function gpuInfo(d: CudaDriver, ordinal: number): GpuInfo {
  const dev = callOut<number>(d, 'cuDeviceGet', d.cuDeviceGet, ordinal);
  const name = Buffer.alloc(256);
  check(d, 'cuDeviceGetName', d.cuDeviceGetName(name, 256, dev));
  const attr = (a: number) => callOut<number>(d, 'cuDeviceGetAttribute', d.cuDeviceGetAttribute, a, dev);
  return {
    ordinal,
    name: name.subarray(0, Math.max(0, name.indexOf(0))).toString('utf8'),
    computeCapability: [attr(ATTR_COMPUTE_CAPABILITY_MAJOR), attr(ATTR_COMPUTE_CAPABILITY_MINOR)],
    multiprocessors: attr(ATTR_MULTIPROCESSOR_COUNT),
    totalMemoryBytes: Number(callOut<number | bigint>(d, 'cuDeviceTotalMem', d.cuDeviceTotalMem, dev)),
    driverVersion: callOut<number>(d, 'cuDriverGetVersion', d.cuDriverGetVersion),
  };
}

/** '13.0' from 13000. */
export function formatDriverVersion(v: number): string {
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

export function canAccessPeer(d: CudaDriver, dev: number, peer: number): boolean {
  return callOut<number>(d, 'cuDeviceCanAccessPeer', d.cuDeviceCanAccessPeer, dev, peer) === 1;
}

/** The context current on the JS thread, so switching costs a call only when the GPU changes. */
let current: bigint | null = null;

/** A GPU's primary context, retained for as long as this object lives. */
export class PrimaryContext {
  readonly handle: bigint;
  private released = false;

  constructor(
    readonly driver: CudaDriver,
    readonly ordinal: number,
  ) {
    this.handle = callOut<bigint>(
      driver,
      'cuDevicePrimaryCtxRetain',
      driver.cuDevicePrimaryCtxRetain,
      ordinal,
    );
    this.makeCurrent();
  }

  /** Makes this context current on the calling thread (a no-op when it already is). */
  makeCurrent(): void {
    if (current === this.handle) return;
    check(this.driver, 'cuCtxSetCurrent', this.driver.cuCtxSetCurrent(this.handle));
    current = this.handle;
  }

  synchronize(): void {
    this.makeCurrent();
    check(this.driver, 'cuCtxSynchronize', this.driver.cuCtxSynchronize());
  }

  /** Lets this context read and write `peer`'s memory directly (already enabled is fine). */
  enablePeerAccess(peer: PrimaryContext): void {
    this.makeCurrent();
    const rc = this.driver.cuCtxEnablePeerAccess(peer.handle, 0);
    if (rc !== 704 /* CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED */)
      check(this.driver, 'cuCtxEnablePeerAccess', rc);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (current === this.handle) current = null;
    check(this.driver, 'cuDevicePrimaryCtxRelease', this.driver.cuDevicePrimaryCtxRelease(this.ordinal));
  }
}
