import type { BackendV1 } from '../contract/backend.js';
import type { BufferHandle } from '../contract/buffer.js';
import { ArrayCache } from '../host/array-cache.js';
import { ReferenceBackend } from '../reference/backend.js';
import type { BufferSpec, ConformanceCase } from './cases.js';
import { describeMismatch, relativeError } from './compare.js';
import { TestData } from './random.js';

/** Default bound on ‖out − ref‖/‖ref‖ for float32 arithmetic against the float64 oracle. */
export const DEFAULT_TOLERANCE = 1e-5;

export interface OutputReport {
  name: string;
  relError: number;
  tolerance: number;
  pass: boolean;
  detail: string;
}

export interface CaseReport {
  name: string;
  kernel: string;
  seed: number;
  skipped?: string;
  outputs: OutputReport[];
  pass: boolean;
}

/** A looser bound for one kernel on one backend; the reason is printed with every result. */
export interface ToleranceOverride {
  relError: number;
  reason: string;
}

/** Host arrays reused across cases (fresh memory is slow to touch; see reference/array-cache.ts). */
const hostCache = new ArrayCache<Float32Array>(2 ** 30);

/** Draws the host data of every buffer of a case (float32-representable values). */
function hostData(c: ConformanceCase, data: TestData): Record<string, Float32Array> {
  const host: Record<string, Float32Array> = {};
  const draw = (spec: BufferSpec): Float32Array => {
    const f = spec.fill;
    const out: Float32Array = hostCache.take(spec.length) ?? new Float32Array(spec.length);
    switch (f.kind) {
      case 'random':
        return data.random(spec.length, f.std ?? 1, out);
      case 'uniform':
        return data.uniform(spec.length, f.lo, f.hi, out);
      case 'relu-output':
        data.random(spec.length, 1, out);
        for (let i = 0; i < out.length; i++) out[i] = Math.max(0, out[i]!);
        return out;
      case 'labels':
        return data.labels(spec.length, f.classes, out);
      case 'dropout-mask':
        data.uniform(spec.length, 0, 1, out);
        for (let i = 0; i < out.length; i++) out[i] = out[i]! >= f.p ? 1 / (1 - f.p) : 0;
        return out;
      case 'poison':
        return out.fill(Number.NaN);
      case 'derived':
        return out.fill(0);
    }
  };
  for (const [name, spec] of Object.entries(c.bufs)) {
    if (spec === null) continue;
    if (Array.isArray(spec)) {
      spec.forEach((s, i) => {
        host[`${name}[${i}]`] = draw(s);
      });
    } else host[name] = draw(spec);
  }
  c.derive?.(host);
  return host;
}

/** Allocates and fills a case's buffers on one backend, runs the kernel, reads the outputs back. */
async function runOn(
  backend: BackendV1,
  c: ConformanceCase,
  host: Record<string, Float32Array>,
): Promise<{ out: Record<string, Float32Array | Float64Array>; release: () => void }> {
  const handles = new Map<string, BufferHandle>();
  const upload = (name: string): BufferHandle => {
    const data = host[name]!;
    const buf = backend.alloc(data.length);
    // Poison (NaN) goes in through write too, so a kernel that skips an element leaves NaN behind.
    backend.write(buf, data);
    handles.set(name, buf);
    return buf;
  };
  const bufs: Record<string, BufferHandle | BufferHandle[] | null> = {};
  for (const [name, spec] of Object.entries(c.bufs)) {
    if (spec === null) bufs[name] = null;
    else if (Array.isArray(spec)) bufs[name] = spec.map((_, i) => upload(`${name}[${i}]`));
    else bufs[name] = upload(name);
  }
  for (const [name, target] of Object.entries(c.alias ?? {})) bufs[name] = bufs[target]!;
  const release = () => {
    for (const b of handles.values()) backend.free(b);
  };
  try {
    (backend.kernels[c.kernel] as (b: unknown, a: unknown) => void)(bufs, c.attrs);
    const out: Record<string, Float32Array | Float64Array> = {};
    for (const name of c.outputs) {
      const buf = handles.get(name)!;
      // The oracle's arrays are used in place until release (AlexNet's fc6 weights are 38 M elements).
      out[name] = backend instanceof ReferenceBackend ? backend.array(buf) : await backend.read(buf);
    }
    return { out, release };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * Runs one case on `backend` and on the float64 reference oracle with identical random inputs and
 * compares every output by relative error.
 */
export async function runConformanceCase(
  backend: BackendV1,
  c: ConformanceCase,
  seed: number,
  options: { oracle?: ReferenceBackend; tolerances?: Partial<Record<string, ToleranceOverride>> } = {},
): Promise<CaseReport> {
  const report: CaseReport = { name: c.name, kernel: c.kernel, seed, outputs: [], pass: true };
  const unsupported = backend.capabilities.unsupported[c.kernel];
  if (unsupported !== undefined) return { ...report, skipped: unsupported };
  const oracle = options.oracle ?? new ReferenceBackend({ precision: 'float64' });
  const host = hostData(c, new TestData(seed));
  const oracleRun = await runOn(oracle, c, host);
  let targetRun: Awaited<ReturnType<typeof runOn>>;
  try {
    targetRun = await runOn(backend, c, host);
  } catch (err) {
    oracleRun.release();
    throw err;
  } finally {
    for (const arr of Object.values(host)) hostCache.give(arr);
  }
  const expected = oracleRun.out;
  const actual = targetRun.out;
  const override = options.tolerances?.[c.kernel];
  const base = c.tolerance ?? DEFAULT_TOLERANCE;
  const tolerance = override ? Math.max(base, override.relError) : base;
  for (const name of c.outputs) {
    const relError = relativeError(actual[name]!, expected[name]!);
    const pass = relError <= tolerance; // NaN (non-finite output) fails
    report.outputs.push({
      name,
      relError,
      tolerance,
      pass,
      detail: pass
        ? ''
        : describeMismatch(actual[name]!, expected[name]!) +
          (override ? ` (looser bound: ${override.reason})` : ''),
    });
    report.pass &&= pass;
  }
  oracleRun.release();
  targetRun.release();
  return report;
}

/** One line per failing output, with the seed that replays it. */
export function formatFailure(r: CaseReport): string {
  const bad = r.outputs.filter((o) => !o.pass);
  return bad
    .map(
      (o) =>
        `${r.name} [${o.name}]: relative error ${o.relError} > ${o.tolerance}; ${o.detail} (replay: ALEXNET_TEST_SEED=${r.seed})`,
    )
    .join('\n');
}
