/** A checkpoint's model.safetensors, fetched or chosen by the user, as a network on `devices`. */
import type { Device } from '@alexnet/tensor';
import { type BuiltModel, buildModel } from '../train/model-build.js';
import { parseSafetensors } from './safetensors-bytes.js';

/**
 * Builds the network a model file's bytes describe (config and classes from its metadata) on
 * `devices` and loads its weights; the browser's `loadAlexNet`.
 */
export function loadAlexNetBytes(
  bytes: Uint8Array,
  devices: Device | readonly Device[],
  label = 'model.safetensors',
): BuiltModel {
  return buildModel(parseSafetensors(bytes, label), devices, label);
}
