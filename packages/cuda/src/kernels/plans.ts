import type { KernelName, KernelSignaturesV1 } from '@alexnet/tensor';
import { ewLaunch, f32, i32, ptr } from './args.js';
import { planBiasAdd, planBiasGrad } from './bias-plan.js';
import { planConvBackwardData, planConvBackwardFilter, planConvForward } from './conv-plan.js';
import { gemmFunction, planGemm } from './gemm-plan.js';
import type { KernelPlan, PlanOptions } from './plan.js';
import {
  planChannels,
  planDropoutForward,
  planGradient,
  planLrnBackward,
  planLrnForward,
  planMaxPoolBackward,
  planMaxPoolForward,
  planSoftmax,
  planSoftmaxCrossEntropy,
  planUnary,
} from './simple-plans.js';

type Planners = {
  [K in KernelName]: (
    bufs: KernelSignaturesV1[K]['bufs'],
    attrs: KernelSignaturesV1[K]['attrs'],
    options: PlanOptions,
  ) => KernelPlan;
};

const plans = (launches: KernelPlan['launches']): KernelPlan => ({ scratchElements: 0, launches });

/** One planner per contract kernel; a missing one is a compile error. */
const PLANNERS: Planners = {
  gemm: (b, a, o) => planGemm(b, a, o.tf32),
  conv2dForward: (b, a, o) => planConvForward(b, a, o.tf32),
  conv2dBackwardData: (b, a, o) => planConvBackwardData(b, a, o.tf32),
  conv2dBackwardFilter: (b, a, o) => planConvBackwardFilter(b, a, o.tf32),
  maxPoolForward: (b, a) => planMaxPoolForward(b, a),
  maxPoolBackward: (b, a) => planMaxPoolBackward(b, a),
  lrnForward: (b, a) => planLrnForward(b, a),
  lrnBackward: (b, a) => planLrnBackward(b, a),
  relu: (b, a) => planUnary('relu_forward', b, a.length),
  reluBackward: (b, a) => planGradient('relu_backward', b.y, b.dy, b.dx, a),
  tanh: (b, a) => planUnary('tanh_forward', b, a.length),
  tanhBackward: (b, a) => planGradient('tanh_backward', b.y, b.dy, b.dx, a),
  dropoutForward: (b, a) => planDropoutForward(b, a),
  dropoutBackward: (b, a) => planGradient('dropout_backward', b.dy, b.mask, b.dx, a),
  biasAdd: (b, a) => planBiasAdd(b, a),
  biasGrad: (b, a) => planBiasGrad(b, a),
  softmax: (b, a) => planSoftmax(b, a),
  softmaxCrossEntropy: (b, a) => planSoftmaxCrossEntropy(b, a),
  sgdUpdate: (b, a) =>
    a.length === 0
      ? plans([])
      : plans([
          ewLaunch('sgd_update', a.length, [
            ptr(b.w),
            ptr(b.grad),
            ptr(b.v),
            i32(a.length),
            f32(a.lr),
            f32(a.momentum),
            f32(a.weightDecay),
          ]),
        ]),
  concatChannels: (b, a) => planChannels(b.inputs, b.y, a, 'concat'),
  splitChannels: (b, a) => planChannels(b.outputs, b.x, a, 'split'),
  axpy: (b, a) =>
    a.length === 0
      ? plans([])
      : plans([ewLaunch('axpy', a.length, [ptr(b.x), ptr(b.y), i32(a.length), f32(a.alpha)])]),
};

/**
 * What to launch for one contract kernel call (attributes already validated against the contract):
 * a pure function of the buffers, attributes and options.
 */
export function planKernel<K extends KernelName>(
  name: K,
  bufs: KernelSignaturesV1[K]['bufs'],
  attrs: KernelSignaturesV1[K]['attrs'],
  options: PlanOptions,
): KernelPlan {
  return (PLANNERS[name] as Planners[K])(bufs, attrs, options);
}

const gemmFunctions = (tf32: boolean): string[] =>
  [false, true].flatMap((ta) => [false, true].map((tb) => gemmFunction(ta, tb, tf32)));

/** Every `fn` any plan may name, so the runtime can resolve them all from the module at start-up. */
export const KERNEL_FUNCTIONS: readonly string[] = [
  ...gemmFunctions(false),
  ...gemmFunctions(true),
  'im2col_batched',
  'col2im_batched',
  'sum_partials',
  'maxpool_forward',
  'maxpool_backward',
  'lrn_forward',
  'lrn_backward',
  'relu_forward',
  'relu_backward',
  'tanh_forward',
  'tanh_backward',
  'dropout_forward',
  'dropout_backward',
  'sgd_update',
  'axpy',
  'bias_add',
  'bias_grad_partial',
  'bias_grad_finish',
  'bias_grad_rows',
  'softmax_forward',
  'softmax_cross_entropy',
  'copy_channels',
  'splitk_reduce',
];

/** The TF32 tensor-core kernels (absent from the CPU emulation, which has no tensor cores). */
export const TF32_FUNCTIONS: readonly string[] = gemmFunctions(true);
