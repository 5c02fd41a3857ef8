/**
 * @alexnet/tensor/testing — the conformance kit, framework-free: the cases, a runner that compares a
 * backend with the float64 reference, relative-error helpers, seeded test data and the gradient
 * checker. The vitest suite built on it is `@alexnet/tensor/testing/vitest`.
 */
export {
  alexnetCases,
  type BufferSpec,
  type ConformanceCase,
  convCases,
  type Fill,
  oddCases,
} from './cases.js';
export { describeMismatch, relativeError } from './compare.js';
export {
  assertGradients,
  type GradCheckFailure,
  type GradCheckOptions,
  type GradCheckProblem,
  type GradCheckReport,
  gradCheck,
  type Inputs,
} from './gradcheck.js';
export { runSeed, TestData } from './random.js';
export {
  type CaseReport,
  DEFAULT_TOLERANCE,
  formatFailure,
  type OutputReport,
  runConformanceCase,
  type ToleranceOverride,
} from './runner.js';
