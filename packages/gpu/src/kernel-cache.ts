import { GPU, type IKernelRunShortcut, type KernelOutput, type KernelVariable } from 'gpu.js';
import { type GpuMode, ranMode } from './modes.js';

/** Throws unless the kernel behind `run` (after any swap gpu.js made) is of `mode`'s class. */
export function assertRanIn(run: { kernel: unknown }, mode: GpuMode, key: string): void {
  const ran = ranMode(run);
  if (ran !== mode) {
    const why = (run.kernel as { fallbackReason?: string | null }).fallbackReason;
    throw new Error(
      `@alexnet/gpu: kernel '${key}' ran in gpu.js mode '${ran}', not '${mode}'${why ? ` (${why})` : ''}`,
    );
  }
}

export interface KernelSpec {
  /** Unique per (op, shape, variant): gpu.js ignores setConstants after the first call. */
  key: string;
  /** Kernel source as a string: bundlers and minifiers cannot rewrite it (gpu.js parses the text). */
  source: string;
  output: number[];
  constants?: Record<string, number>;
}

/**
 * One compiled gpu.js kernel per spec key, each asserted after every run to have run in the
 * backend's mode: gpu.js replaces a kernel it cannot build with a CPU one (printing only a warning),
 * which would silently turn a "GPU" run into JavaScript on the CPU.
 */
export class KernelCache {
  private readonly gpu: GPU;
  private readonly kernels = new Map<string, { run: IKernelRunShortcut }>();

  constructor(readonly mode: GpuMode) {
    this.gpu = new GPU({ mode });
  }

  get size(): number {
    return this.kernels.size;
  }

  /** Runs the kernel of `spec` (compiling it on first use); a Promise in webgpu mode. */
  run(spec: KernelSpec, args: KernelVariable[]): KernelOutput | Promise<KernelOutput> {
    let entry = this.kernels.get(spec.key);
    if (!entry) {
      const run = this.gpu.createKernel(spec.source, {
        output: spec.output,
        constants: spec.constants ?? {},
        precision: 'single',
        tactic: 'precision',
        asyncMode: this.mode === 'webgpu',
        // Loop bounds are constants; this only guards against gpu.js's silent cut at 1000 iterations.
        loopMaxIterations: 1 << 20,
      } as Parameters<GPU['createKernel']>[1]);
      entry = { run };
      this.kernels.set(spec.key, entry);
    }
    const { run } = entry;
    const result = run(...args);
    // Checked on every call, not just the first: gpu.js may also switch kernels when argument types
    // change. The check is a few instanceof tests.
    const check = (r: KernelOutput): KernelOutput => {
      assertRanIn(run, this.mode, spec.key);
      return r;
    };
    return result instanceof Promise ? result.then(check) : check(result);
  }

  destroy(): void {
    this.kernels.clear();
    this.gpu.destroy();
  }
}
