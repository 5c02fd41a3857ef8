/** Loading the package's fatbin into a context and resolving every kernel function up front. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import type { PrimaryContext } from './context.js';
import { check, cudaError } from './errors.js';

// CUjit_option values (cuda.h): the JIT's logs, used when the driver compiles the PTX.
const JIT_INFO_LOG_BUFFER = 3;
const JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
const JIT_ERROR_LOG_BUFFER = 5;
const JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
const LOG_BYTES = 16384;

/** This package's root (holding package.json and fatbin/), from src/driver/ (tests) or dist/ (bundles). */
export function packageRoot(): string {
  let dir = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readFileSync(manifest, 'utf8').includes('"name": "@alexnet/cuda"'))
      return dir;
    dir = dirname(dir);
  }
  throw new Error('@alexnet/cuda: cannot find the package root (package.json) above the loaded module');
}

/** The fatbin the backend loads: ALEXNET_CUDA_FATBIN, else the package's fatbin/alexnet.fatbin. */
export function fatbinPath(): string {
  return process.env.ALEXNET_CUDA_FATBIN || join(packageRoot(), 'fatbin', 'alexnet.fatbin');
}

const cstr = (b: Buffer) => b.subarray(0, Math.max(0, b.indexOf(0))).toString('utf8');

/** A loaded module with every function the launch plans may name resolved to its CUfunction. */
export class KernelModule {
  readonly handle: bigint;
  /** The JIT's info log (empty when SASS for this GPU was in the fatbin). */
  readonly jitLog: string;
  private readonly functions = new Map<string, bigint>();

  constructor(
    private readonly ctx: PrimaryContext,
    image: Uint8Array,
    functionNames: readonly string[],
    source = 'fatbin',
  ) {
    const d = ctx.driver;
    ctx.makeCurrent();
    const info = Buffer.alloc(LOG_BYTES);
    const error = Buffer.alloc(LOG_BYTES);
    const options = new Int32Array([
      JIT_INFO_LOG_BUFFER,
      JIT_INFO_LOG_BUFFER_SIZE_BYTES,
      JIT_ERROR_LOG_BUFFER,
      JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
    ]);
    // optionValues is void*[]: buffer addresses, and the sizes passed by value in pointer slots.
    const values = new BigUint64Array([
      koffi.address(info),
      BigInt(LOG_BYTES),
      koffi.address(error),
      BigInt(LOG_BYTES),
    ]);
    const out: unknown[] = [null];
    const rc = d.cuModuleLoadDataEx(out, image, 4, options, values);
    if (rc !== 0) {
      const log = cstr(error);
      throw cudaError(
        d,
        `cuModuleLoadDataEx(${source})`,
        rc as number,
        `${log ? `JIT error log:\n${log}\n` : ''}The fatbin holds SASS for sm_80/86/89/90 and PTX that needs an R580+ driver.`,
      );
    }
    this.handle = out[0] as bigint;
    this.jitLog = cstr(info);
    const missing: string[] = [];
    for (const name of functionNames) {
      const o: unknown[] = [null];
      const r = d.cuModuleGetFunction(o, this.handle, name);
      if (r === 0) this.functions.set(name, o[0] as bigint);
      else if (r === 500 /* CUDA_ERROR_NOT_FOUND */) missing.push(name);
      else check(d, `cuModuleGetFunction(${name})`, r);
    }
    if (missing.length > 0) {
      this.unload();
      throw new Error(
        `@alexnet/cuda: ${source} lacks kernel function${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
          '(stale fatbin? rebuild it: pnpm --filter @alexnet/cuda build:fatbin)',
      );
    }
  }

  /** The CUfunction of a kernel the module was loaded with. */
  fn(name: string): bigint {
    const f = this.functions.get(name);
    if (f === undefined)
      throw new Error(`@alexnet/cuda: kernel function '${name}' was not resolved at start-up`);
    return f;
  }

  unload(): void {
    this.ctx.makeCurrent();
    check(this.ctx.driver, 'cuModuleUnload', this.ctx.driver.cuModuleUnload(this.handle));
    this.functions.clear();
  }
}

/** Reads the fatbin, with a clear error when it is missing. */
export function readFatbin(path = fatbinPath()): Uint8Array {
  if (!existsSync(path)) {
    throw new Error(
      `@alexnet/cuda: ${path} is missing (build it with nvcc: pnpm --filter @alexnet/cuda build:fatbin)`,
    );
  }
  return readFileSync(path);
}
