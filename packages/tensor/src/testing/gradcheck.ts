/**
 * The gradient checker every layer test uses (Caffe's test_gradient_check_util, in float64):
 * compares an analytic backward pass with centred differences of L = Σ forward(x) · dOut for a
 * random dOut, element by element.
 */
import { PhiloxStream } from '../rng/philox.js';

export type Inputs = Record<string, Float64Array>;

export interface GradCheckProblem {
  /** The point to check at; every input listed in `wrt` is perturbed element by element. */
  inputs: Inputs;
  /** Inputs to differentiate with respect to (default: all). */
  wrt?: string[];
  /** The function under test; must not modify its inputs. */
  forward(inputs: Inputs): Float64Array | Promise<Float64Array>;
  /** Analytic gradients of Σ forward(inputs)·dOut with respect to each input in `wrt`. */
  backward(inputs: Inputs, dOut: Float64Array): Inputs | Promise<Inputs>;
}

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-5: float64 truncation and round-off both stay below 1e-9). */
  step?: number;
  /** Bound on |analytic − numeric| / max(1, |analytic|, |numeric|) (default 1e-6). */
  tolerance?: number;
  /**
   * Functions with kinks (ReLU at 0, max pooling at ties): an element whose left and right
   * differences disagree lies within one step of a kink and is skipped, not failed. At most
   * `maxKinkFraction` of the elements may be skipped (default 0.05), so a broken gradient cannot
   * hide as "kinks". Off by default: smooth functions must match everywhere.
   */
  kinks?: boolean;
  maxKinkFraction?: number;
  /** Check at most this many elements per input, chosen at random (default: all). */
  maxElementsPerInput?: number;
  /** Seed for dOut and the element sample (default 1). */
  seed?: number;
}

export interface GradCheckFailure {
  input: string;
  index: number;
  analytic: number;
  numeric: number;
  error: number;
}

export interface GradCheckReport {
  pass: boolean;
  checked: number;
  kinksSkipped: number;
  worstError: number;
  failures: GradCheckFailure[];
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export async function gradCheck(
  problem: GradCheckProblem,
  options: GradCheckOptions = {},
): Promise<GradCheckReport> {
  const h = options.step ?? 1e-5;
  const tol = options.tolerance ?? 1e-6;
  const rng = new PhiloxStream(options.seed ?? 1);
  const inputs: Inputs = {};
  for (const [k, v] of Object.entries(problem.inputs)) inputs[k] = Float64Array.from(v);
  const out0 = await problem.forward(inputs);
  const dOut = rng.normal(out0.length);
  const loss = async () => dot(await problem.forward(inputs), dOut);
  const f0 = dot(out0, dOut);
  const analytic = await problem.backward(inputs, dOut);
  const report: GradCheckReport = { pass: true, checked: 0, kinksSkipped: 0, worstError: 0, failures: [] };

  for (const name of problem.wrt ?? Object.keys(inputs)) {
    const x = inputs[name];
    const g = analytic[name];
    if (!x || !g) throw new Error(`gradCheck: no ${!x ? 'input' : 'analytic gradient'} named '${name}'`);
    if (g.length !== x.length)
      throw new Error(`gradCheck: gradient '${name}' has ${g.length} elements, input has ${x.length}`);
    let indices = [...x.keys()];
    const limit = options.maxElementsPerInput;
    if (limit !== undefined && limit < indices.length) {
      const u = rng.uniform(indices.length);
      indices = indices.sort((a, b) => u[a]! - u[b]!).slice(0, limit);
    }
    for (const i of indices) {
      const xi = x[i]!;
      x[i] = xi + h;
      const fp = await loss();
      x[i] = xi - h;
      const fm = await loss();
      x[i] = xi;
      const numeric = (fp - fm) / (2 * h);
      const a = g[i]!;
      const error = Math.abs(a - numeric) / Math.max(1, Math.abs(a), Math.abs(numeric));
      report.checked++;
      if (error <= tol) {
        report.worstError = Math.max(report.worstError, error);
        continue;
      }
      const right = (fp - f0) / h;
      const left = (f0 - fm) / h;
      if (options.kinks && Math.abs(right - left) > 1e-3 * Math.max(1, Math.abs(right), Math.abs(left))) {
        report.kinksSkipped++;
        continue;
      }
      report.worstError = Math.max(report.worstError, error);
      report.failures.push({ input: name, index: i, analytic: a, numeric, error });
    }
  }
  const maxKinks = (options.maxKinkFraction ?? 0.05) * report.checked;
  report.pass = report.failures.length === 0 && report.kinksSkipped <= maxKinks && report.checked > 0;
  return report;
}

/** Runs gradCheck and throws a readable error listing the worst mismatches when it fails. */
export async function assertGradients(
  problem: GradCheckProblem,
  options: GradCheckOptions = {},
): Promise<GradCheckReport> {
  const r = await gradCheck(problem, options);
  if (!r.pass) {
    const worst = [...r.failures].sort((a, b) => b.error - a.error).slice(0, 5);
    const lines = worst.map(
      (f) =>
        `  ${f.input}[${f.index}]: analytic ${f.analytic}, numeric ${f.numeric} (error ${f.error.toExponential(2)})`,
    );
    throw new Error(
      `gradient check failed: ${r.failures.length} of ${r.checked} elements wrong, ${r.kinksSkipped} skipped as kinks` +
        (r.checked === 0 ? ' (nothing was checked)' : '') +
        (lines.length ? `\n${lines.join('\n')}` : ''),
    );
  }
  return r;
}
