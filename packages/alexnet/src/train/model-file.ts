/**
 * Loading a checkpoint's model.safetensors from disk: the file is found (run folder, checkpoint
 * folder or file), read, and the network it describes built from its metadata (model-build.ts).
 */
import type { Device } from '@alexnet/tensor';
import { resolveCheckpoint } from './checkpoint.js';
import { type BuiltModel, buildModel } from './model-build.js';
import { readSafetensors } from './safetensors.js';

export { MODEL_FORMAT, modelMetadata } from './model-build.js';

export interface LoadedModel extends BuiltModel {
  /** The model file that was read. */
  path: string;
}

/**
 * Builds the network a checkpoint describes on `devices` and loads its weights. `path`: a run
 * folder (its latest checkpoint), a checkpoint folder or a model.safetensors file.
 */
export function loadAlexNet(path: string, devices: Device | readonly Device[]): LoadedModel {
  const file = resolveCheckpoint(path);
  return { ...buildModel(readSafetensors(file), devices, file), path: file };
}
