/**
 * @alexnet/tensor/testing — the conformance kit, framework-free: the cases, a runner that compares a
 * backend with the float64 reference, relative-error helpers, seeded test data and the gradient
 * checker. The vitest suite built on it is `@alexnet/tensor/testing/vitest`.
 */
export { type BufferSpec, type ConformanceCase, type Fill, alexnetCases, oddCases } from './cases.js';
export { describeMismatch, relativeError } from './compare.js';
export {
  type GradCheckFailure,
  type GradCheckOptions,
  type GradCheckProblem,
  type GradCheckReport,
  type Inputs,
  assertGradients,
  gradCheck,
} from './gradcheck.js';
export { TestData, runSeed } from './random.js';
export {
  type CaseReport,
  DEFAULT_TOLERANCE,
  type OutputReport,
  type ToleranceOverride,
  formatFailure,
  runConformanceCase,
} from './runner.js';
