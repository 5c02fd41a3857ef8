/**
 * How device indices map to GPUs. `cuda:N` is GPU N. On a machine with exactly one GPU, every
 * `cuda:N` runs on GPU 0 as a separate backend with its own stream, so the paper's two-tower
 * schedule (cuda:0 + cuda:1, joins by peer copies) still runs with concurrent towers: two streams
 * stand in for two devices. ALEXNET_CUDA_TOWERS_ON_ONE_GPU=1 forces that mapping on a multi-GPU
 * machine too (to compare one GPU against two).
 */
import { DeviceError } from '@alexnet/tensor';

export const TOWERS_ON_ONE_GPU_ENV = 'ALEXNET_CUDA_TOWERS_ON_ONE_GPU';

/** Device slots offered when GPUs share one card: the two towers. */
export const SHARED_GPU_DEVICES = 2;

export function towersOnOneGpu(gpus: number): boolean {
  return gpus === 1 || process.env[TOWERS_ON_ONE_GPU_ENV] === '1';
}

/** The GPU ordinal behind `cuda:index`. */
export function gpuForIndex(index: number, gpus: number): number {
  if (gpus < 1) throw new DeviceError('cuda: the NVIDIA driver reports no GPU');
  if (towersOnOneGpu(gpus)) {
    if (index >= Math.max(SHARED_GPU_DEVICES, gpus)) {
      throw new DeviceError(
        `cuda:${index}: one GPU offers cuda:0 … cuda:${SHARED_GPU_DEVICES - 1} (two streams)`,
      );
    }
    return 0;
  }
  if (index >= gpus)
    throw new DeviceError(`cuda:${index}: this machine has ${gpus} GPUs (cuda:0 … cuda:${gpus - 1})`);
  return index;
}

/** How many `cuda:N` devices exist. */
export function deviceSlots(gpus: number): number {
  if (gpus < 1) return 0;
  return towersOnOneGpu(gpus) ? Math.max(SHARED_GPU_DEVICES, gpus) : gpus;
}
