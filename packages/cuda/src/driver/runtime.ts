/**
 * What the backends on one GPU share: its primary context and the loaded fatbin module (loaded once,
 * every kernel function resolved). Reference-counted: released when the last backend is disposed.
 */
import { KERNEL_FUNCTIONS } from '../kernels/plan.js';
import { type GpuInfo, gpuInfo, openDriver, PrimaryContext } from './context.js';
import type { CudaDriver } from './library.js';
import { fatbinPath, KernelModule, readFatbin } from './module.js';

export class GpuRuntime {
  refs = 0;
  constructor(
    readonly driver: CudaDriver,
    readonly info: GpuInfo,
    readonly ctx: PrimaryContext,
    readonly module: KernelModule,
    readonly fatbin: string,
  ) {}
}

const runtimes = new Map<string, GpuRuntime>();

/** The shared runtime of GPU `ordinal` with the fatbin at `path` (created on first use). */
export function acquireRuntime(ordinal: number, path = fatbinPath()): GpuRuntime {
  const key = `${ordinal}\u0000${path}`;
  let rt = runtimes.get(key);
  if (!rt) {
    const driver = openDriver();
    const info = gpuInfo(driver, ordinal);
    const image = readFatbin(path);
    const ctx = new PrimaryContext(driver, ordinal);
    let module: KernelModule;
    try {
      module = new KernelModule(ctx, image, KERNEL_FUNCTIONS, path);
    } catch (e) {
      ctx.release();
      throw e;
    }
    rt = new GpuRuntime(driver, info, ctx, module, path);
    runtimes.set(key, rt);
  }
  rt.refs++;
  return rt;
}

export function releaseRuntime(rt: GpuRuntime): void {
  if (--rt.refs > 0) return;
  for (const [k, v] of runtimes) if (v === rt) runtimes.delete(k);
  rt.module.unload();
  rt.ctx.release();
}
