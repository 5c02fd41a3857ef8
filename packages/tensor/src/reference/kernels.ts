import type { BufferHandle } from '../contract/buffer.js';
import type { KernelTableV1 } from '../contract/kernels.js';
import { withValidation } from '../contract/table.js';
import { biasAdd, biasGrad } from './bias.js';
import { concatChannels, splitChannels } from './channels.js';
import { conv2dBackwardData, conv2dBackwardFilter, conv2dForward } from './conv.js';
import {
  axpy,
  dropoutBackward,
  dropoutForward,
  relu,
  reluBackward,
  sgdUpdate,
  tanh,
  tanhBackward,
} from './elementwise.js';
import { gemm } from './gemm.js';
import { lrnBackward, lrnForward } from './lrn.js';
import { maxPoolBackward, maxPoolForward } from './pool.js';
import { softmax, softmaxCrossEntropy } from './softmax.js';
import type { FloatArray } from './types.js';

/** The reference kernel table: resolves handles to arrays and calls the textbook kernels. */
export function referenceKernels(device: string, arr: (b: BufferHandle) => FloatArray): KernelTableV1 {
  const opt = (b: BufferHandle | null) => (b === null ? null : arr(b));
  const table: KernelTableV1 = {
    gemm: (b, a) => gemm(arr(b.a), arr(b.b), arr(b.c), a),
    conv2dForward: (b, a) => conv2dForward(arr(b.x), arr(b.w), opt(b.bias), arr(b.y), a),
    conv2dBackwardData: (b, a) => conv2dBackwardData(arr(b.dy), arr(b.w), arr(b.dx), a),
    conv2dBackwardFilter: (b, a) => conv2dBackwardFilter(arr(b.x), arr(b.dy), arr(b.dw), opt(b.dbias), a),
    maxPoolForward: (b, a) => maxPoolForward(arr(b.x), arr(b.y), a),
    maxPoolBackward: (b, a) => maxPoolBackward(arr(b.x), arr(b.dy), arr(b.dx), a),
    lrnForward: (b, a) => lrnForward(arr(b.x), arr(b.y), arr(b.scale), a),
    lrnBackward: (b, a) => lrnBackward(arr(b.x), arr(b.y), arr(b.scale), arr(b.dy), arr(b.dx), a),
    relu: (b, a) => relu(arr(b.x), arr(b.y), a),
    reluBackward: (b, a) => reluBackward(arr(b.y), arr(b.dy), arr(b.dx), a),
    tanh: (b, a) => tanh(arr(b.x), arr(b.y), a),
    tanhBackward: (b, a) => tanhBackward(arr(b.y), arr(b.dy), arr(b.dx), a),
    dropoutForward: (b, a) => dropoutForward(arr(b.x), arr(b.y), arr(b.mask), a),
    dropoutBackward: (b, a) => dropoutBackward(arr(b.dy), arr(b.mask), arr(b.dx), a),
    biasAdd: (b, a) => biasAdd(arr(b.x), arr(b.bias), arr(b.y), a),
    biasGrad: (b, a) => biasGrad(arr(b.dy), arr(b.db), a),
    softmax: (b, a) => softmax(arr(b.x), arr(b.y), a),
    softmaxCrossEntropy: (b, a) =>
      softmaxCrossEntropy(arr(b.logits), arr(b.labels), arr(b.loss), arr(b.dlogits), a),
    sgdUpdate: (b, a) => sgdUpdate(arr(b.w), arr(b.grad), arr(b.v), a),
    concatChannels: (b, a) => concatChannels(b.inputs.map(arr), arr(b.y), a),
    splitChannels: (b, a) => splitChannels(arr(b.x), b.outputs.map(arr), a),
    axpy: (b, a) => axpy(arr(b.x), arr(b.y), a),
  };
  return withValidation(device, table);
}
