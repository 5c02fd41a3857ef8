import { GPU, type IKernelRunShortcut, type KernelOutput, type KernelVariable } from 'gpu.js';
import { type GpuMode, isDeviceMode, ranMode } from './modes.js';
import { isDeviceHandle, Residency } from './residency.js';
import { rowsOf, view } from './views.js';

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

  /** Which buffers' contents are on the device (GPU modes only), and the transfer counters. */
  readonly residency: Residency;

  constructor(readonly mode: GpuMode) {
    this.gpu = new GPU({ mode });
    this.residency = new Residency(isDeviceMode(mode), (data) => this.upload(data));
  }

  get size(): number {
    return this.kernels.size;
  }

  /**
   * Runs the kernel of `spec` (compiling it on first use); a Promise in webgpu mode. In the device
   * modes the result is a pipeline handle (a texture or buffer that stays on the device).
   */
  run(spec: KernelSpec, args: KernelVariable[]): KernelOutput | Promise<KernelOutput> {
    // gpu.js compiles a kernel for the argument kinds it first saw (a GL texture's size and dims are
    // baked into the shader): one compiled kernel per kind signature, so nothing switches or goes stale.
    const key = `${spec.key} |${args.map(signature).join(',')}`;
    let entry = this.kernels.get(key);
    if (!entry) {
      const run = this.gpu.createKernel(spec.source, {
        output: spec.output,
        constants: spec.constants ?? {},
        precision: 'single',
        tactic: 'precision',
        asyncMode: this.mode === 'webgpu',
        // Loop bounds are constants; this only guards against gpu.js's silent cut at 1000 iterations.
        loopMaxIterations: 1 << 20,
        // Device modes keep results on the device; immutable: each result is its own handle, which
        // the backend deletes explicitly (else the next run would overwrite it).
        pipeline: isDeviceMode(this.mode),
        immutable: isDeviceMode(this.mode),
      } as Parameters<GPU['createKernel']>[1]);
      entry = { run };
      this.kernels.set(key, entry);
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

  /** A whole host array copied to the device by a kernel, laid out [ROW, rows]; the result is its handle. */
  private upload(data: Float32Array): KernelOutput | Promise<KernelOutput> {
    const { width, rows } = rowsOf(data.length);
    return this.run(
      {
        key: `upload ${width}x${rows}`,
        source: 'function (x) {\n  return x[this.thread.y][this.thread.x];\n}',
        output: [width, rows],
      },
      [view(data, 0, [width, rows])],
    );
  }

  destroy(): void {
    this.residency.dispose();
    this.kernels.clear();
    this.gpu.destroy();
  }
}

/** An argument's kind for the compiled-kernel key: number, host view, or a device handle's layout. */
function signature(arg: KernelVariable): string {
  if (typeof arg === 'number' || typeof arg === 'boolean') return 'n';
  if (isDeviceHandle(arg)) return `d${arg.output.join('x')}s${(arg.size ?? []).join('x')}`;
  return 'h';
}
